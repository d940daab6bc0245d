//! Fuzz the SMTP reply parser: any bytes, split into lines, must give replies
//! or `ReplyError`s, never a panic; a reply never has more lines than the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor::smtp::reply::MAX_REPLY_LINES;
use smtp_doctor::smtp::ReplyParser;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parser = ReplyParser::new();
    for line in text.split('\n') {
        match parser.feed(line) {
            Ok(Some(reply)) => {
                assert!(reply.lines.len() <= MAX_REPLY_LINES);
                assert!((200..600).contains(&reply.code));
                let _ = reply.one_line();
            }
            Ok(None) => {}
            Err(_) => parser = ReplyParser::new(),
        }
    }
});
