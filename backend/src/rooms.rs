//! The registry of open rooms: room id → the room task's command queue.
//!
//! The only lock in the server besides the UDP route table; it guards this map alone (never room
//! state) and is held for a lookup or an insert. A room is opened by its first join and removes
//! itself when it ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::mpsc;
use treff_shared::{ErrorCode, RoomId};

use crate::meetings::MeetingKeys;
use crate::room::{self, Command, Conference, Environment, MediaContext, Room};

/// Commands queued towards one room: a burst of joins and answers, far above a person's pace.
const ROOM_COMMAND_QUEUE: usize = 256;
/// Batches of datagrams queued towards one room (up to `sfu::udp::BATCH` each): at least 100 ms of
/// media of a full room, however the datagrams were batched.
const ROOM_DATAGRAM_QUEUE: usize = 4096;

struct Entry {
    commands: mpsc::Sender<Command>,
    generation: u64,
}

#[derive(Default)]
struct Map {
    rooms: HashMap<RoomId, Entry>,
    generation: u64,
}

/// All open rooms. Cheap to clone.
#[derive(Clone)]
pub struct Rooms {
    map: Arc<Mutex<Map>>,
    env: Environment,
    media: MediaContext,
    only_created: bool,
}

impl Rooms {
    /// An empty registry whose conferences share `env`. With `only_created` (organiser
    /// protection), only meetings `env.keys` created are opened.
    pub fn new(env: Environment, media: MediaContext, only_created: bool) -> Self {
        Self {
            map: Arc::default(),
            env,
            media,
            only_created,
        }
    }

    /// What creates meetings and checks moderator keys.
    pub fn keys(&self) -> &MeetingKeys {
        &self.env.keys
    }

    /// The server's counters.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.env.metrics
    }

    /// The command queue of room `id` if it is open (never opens one).
    pub fn get(&self, id: &RoomId) -> Option<mpsc::Sender<Command>> {
        self.map()
            .rooms
            .get(id)
            .map(|e| e.commands.clone())
            .filter(|c| !c.is_closed())
    }

    /// Ends every open conference the normal way (purge, receipt) and tells its participants the
    /// server is restarting; returns when all have ended, or at `deadline`. Returns how many were open.
    pub async fn shutdown(&self, deadline: tokio::time::Instant) -> usize {
        let open: Vec<mpsc::Sender<Command>> = self
            .map()
            .rooms
            .values()
            .map(|e| e.commands.clone())
            .collect();
        for room in &open {
            // A full queue still takes it before the deadline; a room already gone needs nothing.
            let _ = tokio::time::timeout_at(deadline, room.send(Command::Shutdown)).await;
        }
        for room in &open {
            // The room task drops its queue when it has ended.
            let _ = tokio::time::timeout_at(deadline, room.closed()).await;
        }
        open.len()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, Map> {
        // Every critical section is a single map operation, so a poisoned map is still consistent.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The command queue of room `id`, opening the room if it is not open.
    pub fn get_or_open(&self, id: &RoomId) -> Result<mpsc::Sender<Command>, ErrorCode> {
        let mut map = self.map();
        if let Some(e) = map.rooms.get(id)
            && !e.commands.is_closed()
        {
            return Ok(e.commands.clone());
        }
        if self.only_created && !self.env.keys.created(id) {
            return Err(ErrorCode::UnknownMeeting);
        }
        if map.rooms.len() >= self.env.limits.max_rooms {
            return Err(ErrorCode::ServerFull);
        }
        map.generation += 1;
        let generation = map.generation;
        let (commands, command_rx) = mpsc::channel(ROOM_COMMAND_QUEUE);
        let (datagrams, datagram_rx) = mpsc::channel(ROOM_DATAGRAM_QUEUE);
        map.rooms.insert(
            id.clone(),
            Entry {
                commands: commands.clone(),
                generation,
            },
        );
        let conference = Conference {
            id: id.clone(),
            env: self.env.clone(),
        };
        let mut room = Room::new(conference, self.media.clone(), datagrams, Instant::now());
        room.set_commands(commands.downgrade());
        let registry = self.clone();
        let key = id.clone();
        tokio::spawn(room::run(room, command_rx, datagram_rx, move || {
            let mut map = registry.map();
            // Only remove our own entry: a newer room under the same id may have replaced it.
            if map
                .rooms
                .get(&key)
                .is_some_and(|e| e.generation == generation)
            {
                map.rooms.remove(&key);
            }
        }));
        Ok(commands)
    }
}
