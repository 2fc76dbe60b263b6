/**
 * What the recording specs share: the common set-up (a moderator's meeting in which a recording is
 * proposed and answered), a look at the server's recordings directory, and `ffprobe`.
 *
 * The directory is the server's own (`RECORDINGS_DIR`, emptied at the start of the run), laid out
 * as `<dir>/<sha256 of the meeting id>/<recording id>/` with `meta.json`, `raw/` (segment files
 * while captured) and the output files: see `backend/src/recording/store.rs`.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures';
import type { JoinOptions, Participant } from './participant';
import { RECORDINGS_DIR } from './server';

/** Debian's ffprobe (the server's output job uses Debian's ffmpeg too). */
export const FFPROBE = '/usr/bin/ffprobe';

/** A recording on disk: its folder, its `meta.json` and the files in it and in its `raw/`. */
export type RecordingOnDisk = {
  id: string;
  dir: string;
  status: string;
  files: string[];
  rawFiles: string[];
};

/** The folders of `meetingId`'s recordings in the server's recordings directory. */
export function recordingsOnDisk(meetingId: string): RecordingOnDisk[] {
  const meetingDir = path.join(RECORDINGS_DIR, crypto.createHash('sha256').update(meetingId).digest('hex'));
  if (!fs.existsSync(meetingDir)) return [];
  return fs.readdirSync(meetingDir).map((id) => {
    const dir = path.join(meetingDir, id);
    const list = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);
    const meta = path.join(dir, 'meta.json');
    const status = fs.existsSync(meta) ? String(JSON.parse(fs.readFileSync(meta, 'utf8')).status) : 'none';
    return { id, dir, status, files: list(dir), rawFiles: list(path.join(dir, 'raw')) };
  });
}

/** The segment files (camera, microphone, screen) a capture of `meetingId` has written so far. */
export function capturedSegments(meetingId: string): string[] {
  return recordingsOnDisk(meetingId).flatMap((r) => r.rawFiles.filter((f) => /\.(ivf|ogg)$/.test(f)));
}

/** Waits until the capture of `meetingId` has written camera and microphone segments of `people`. */
export async function expectCaptured(meetingId: string, people: number): Promise<void> {
  await expect
    .poll(
      () => {
        const segments = capturedSegments(meetingId);
        return {
          camera: segments.filter((f) => f.includes('-camera-')).length >= people,
          audio: segments.filter((f) => f.includes('-audio-')).length >= people,
        };
      },
      { message: `camera and audio segments of ${people} people in the capture`, timeout: 30_000 },
    )
    .toEqual({ camera: true, audio: true });
}

export type Probe = {
  streams: { codec_type: string; codec_name: string }[];
  format: { format_name: string; duration: string };
};

/** What `ffprobe` says of a file; throws if it cannot read it as media. */
export function ffprobe(file: string): Probe {
  const out = execFileSync(FFPROBE, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as Probe;
}

/** The codecs of a probed file, as "type:codec", sorted. */
export function codecs(probe: Probe): string[] {
  return probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort();
}

/** A meeting `moderator` hosts, with `others` joined, everyone's camera and microphone on. */
export async function meetingOf(
  moderator: Participant,
  others: Participant[],
  options: JoinOptions = { mic: true, cam: true },
): Promise<{ id: string; key: string }> {
  const meeting = await moderator.host(options);
  for (const p of others) await p.join(meeting.id, options);
  for (const p of [moderator, ...others]) await expect(p.room.tiles).toHaveCount(others.length + 1);
  return meeting;
}

/** The moderator proposes a recording; everyone present is asked, and it exists paused for all. */
export async function propose(moderator: Participant, everyone: Participant[]): Promise<void> {
  await moderator.moderation.openMenu();
  await moderator.recording.propose.click();
  for (const p of everyone) {
    await expect(p.recording.dialog).toBeVisible();
    await p.recording.expectCapturing(false);
  }
}

/** Everyone answers yes, one after the other; capture runs for all once the last one did. */
export async function allSayYes(everyone: Participant[]): Promise<void> {
  await test.step('everyone says yes: the recording runs for all', async () => {
    for (const p of everyone) await p.recording.answer('yes');
    for (const p of everyone) await p.recording.expectCapturing(true);
  });
}
