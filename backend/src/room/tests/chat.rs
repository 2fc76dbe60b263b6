//! Chat and attachments: stamped senders, private messages, history, limits, the purge.

use super::*;

/// The chat messages among `msgs`, as (sender, sender's name, text).
fn chats(msgs: &[ServerMsg]) -> Vec<(ParticipantId, String, String)> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::Chat { message } => {
                Some((message.from, message.name.clone(), message.text.clone()))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn chat_is_stamped_private_stays_private_and_late_joiners_get_the_history() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let [(a, mut a_rx), (b, mut b_rx)] = anna_and_ben(&mut room, t0);
    say_at(&mut room, t0, a, chat("  hello all ", None));
    say_at(&mut room, t0, b, chat("psst", Some(a)));
    let to_a = chats(&drain(&mut a_rx));
    let to_b = chats(&drain(&mut b_rx));
    // The server's record of who sent it, whatever the session was told; text trimmed.
    let public = (a, "Anna".to_owned(), "hello all".to_owned());
    let private = (b, "Ben".to_owned(), "psst".to_owned());
    assert_eq!(to_a, [public.clone(), private.clone()]);
    assert_eq!(to_b, [public, private], "the sender gets their own echo");

    let (c, mut c_rx) = join_at(&mut room, t0, "Carl");
    let c = c.expect("joins");
    assert_eq!(
        history(&drain(&mut c_rx)),
        ["hello all"],
        "no private message in history"
    );
    say_at(&mut room, t0, a, chat("for Ben only", Some(b)));
    assert!(
        chats(&drain(&mut c_rx)).is_empty(),
        "Carl sees no private message"
    );
    assert_eq!(chats(&drain(&mut b_rx)).len(), 1);

    say_at(&mut room, t0, c, chat("to nobody", Some(ParticipantId(99))));
    say_at(&mut room, t0, c, chat("to myself", Some(c)));
    assert_eq!(
        errors(&drain(&mut c_rx)),
        [ErrorCode::UnknownRecipient, ErrorCode::UnknownRecipient]
    );
    let to_a = chats(&drain(&mut a_rx));
    assert_eq!(
        to_a.len(),
        1,
        "Anna's echo of her message to Ben, none of Carl's refused ones"
    );
}

#[tokio::test]
async fn chat_length_and_rate_are_limited_with_an_error_to_the_sender_only() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
    let (b, mut b_rx) = join_at(&mut room, t0, "Ben");
    let a = a.expect("joins");
    b.expect("joins");
    drain(&mut a_rx);
    drain(&mut b_rx);
    let long = "x".repeat(room.limits.chat_max_chars + 1);
    say_at(&mut room, t0, a, chat(&long, None));
    for _ in 0..=room.limits.chat_burst {
        say_at(&mut room, t0, a, chat("spam", None));
    }
    let msgs = drain(&mut a_rx);
    assert_eq!(
        errors(&msgs),
        [ErrorCode::ChatTooLong, ErrorCode::ChatRateLimited]
    );
    assert_eq!(
        chats(&drain(&mut b_rx)).len(),
        room.limits.chat_burst as usize
    );
    // A couple of seconds later (60 per minute) the sender may write again.
    say_at(
        &mut room,
        t0 + Duration::from_secs(2),
        a,
        chat("again", None),
    );
    assert_eq!(chats(&drain(&mut b_rx)).len(), 1);
}

#[tokio::test]
async fn attachments_follow_their_message_and_the_end_purges_them() {
    let (mut room, _d) = room(20).await;
    let (a, mut a_rx) = join(&mut room, "Anna");
    let (b, mut b_rx) = join(&mut room, "Ben");
    let (c, mut c_rx) = join(&mut room, "Carl");
    let (a, b) = (a.expect("joins"), b.expect("joins"));
    c.expect("joins");
    let (sa, sb, sc) = (
        token_secret(&drain(&mut a_rx)),
        token_secret(&drain(&mut b_rx)),
        token_secret(&drain(&mut c_rx)),
    );
    let file = upload(&mut room, &sa, b"meeting notes").await;
    assert_eq!(
        may_download(&mut room, &sb, &file.id),
        Err(ErrorCode::NotFound),
        "unsent"
    );
    assert_eq!(
        may_download(&mut room, "forged", &file.id),
        Err(ErrorCode::Unauthorized)
    );
    // Someone else cannot send Anna's upload.
    say(
        &mut room,
        b,
        ClientMsg::Chat {
            text: String::new(),
            to: None,
            attachment: Some(file.id.clone()),
        },
    );
    assert_eq!(errors(&drain(&mut b_rx)), [ErrorCode::UnknownAttachment]);
    say(
        &mut room,
        a,
        ClientMsg::Chat {
            text: "for you".into(),
            to: Some(b),
            attachment: Some(file.id.clone()),
        },
    );
    let got = drain(&mut b_rx);
    assert!(
        got.iter().any(|m| matches!(m, ServerMsg::Chat { message } if message.attachment.as_ref() == Some(&file))),
        "Ben gets the message with the attachment"
    );
    assert_eq!(may_download(&mut room, &sb, &file.id), Ok(()));
    assert_eq!(
        may_download(&mut room, &sc, &file.id),
        Err(ErrorCode::NotFound),
        "private to Ben"
    );
    let dir = room
        .attachments
        .dir()
        .expect("made at the first upload")
        .to_owned();
    assert!(dir.join(file.id.as_str()).exists());
    // Ben leaves: his token is worthless at once.
    say(&mut room, b, ClientMsg::Leave);
    assert_eq!(
        may_download(&mut room, &sb, &file.id),
        Err(ErrorCode::Unauthorized)
    );
    let receipt = room.end(Instant::now());
    assert_eq!((receipt.files, receipt.bytes, receipt.messages), (1, 13, 1));
    assert!(!dir.exists(), "the conference's directory is gone");
}

// ---- hands and reactions ----
