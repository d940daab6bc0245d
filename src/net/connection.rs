//! A buffered SMTP connection: bounded line reading, replies in, commands out.
//!
//! Reads are capped (`MAX_LINE_BYTES` per line, `MAX_REPLY_LINES` per reply)
//! and every read runs under its stage's deadline, so an endless or dripping
//! server ends in a `ProbeError` with flat memory. Every line in or out goes to
//! the `Transcript`, which scrubs secrets.
//!
//! `Connection` is generic over its stream, so the unit tests below drive it
//! over `tokio::io::duplex` (chunked replies, over-long lines, STARTTLS); the
//! probe uses it over [`Stream`]. The stream comes back out only through
//! [`Connection::into_tls`], which refuses when any byte is buffered (RFC 3207
//! §5): the rule is enforced by the type, not left to the caller.

use super::{with_timeout, ProbeError, Transcript};
use crate::smtp::{Command, Reply, ReplyError, ReplyParser};
use crate::stage::Stage;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Longest reply line accepted, in bytes. RFC 5321 §4.5.3.1.5 allows 512 for a
/// reply line; real servers exceed it a little (long Microsoft trailers), so we
/// allow 8 times as much before calling the server broken.
pub(crate) const MAX_LINE_BYTES: usize = 4096;

/// The socket, plain or TLS.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// An SMTP connection with its read buffer and transcript.
pub(crate) struct Connection<S = Stream> {
    stream: S,
    buf: Vec<u8>,
    /// Bytes received during the current read (for "slow drip" reports).
    stage_bytes: usize,
    pub(crate) transcript: Transcript,
}

/// [`Connection::into_tls`] refused: bytes arrived after the reply to
/// `STARTTLS` and before the handshake.
pub(crate) struct Injected {
    /// [`ProbeError::StartTlsInjection`] with the (scrubbed, cut) bytes.
    pub(crate) error: ProbeError,
    pub(crate) transcript: Transcript,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub(crate) fn new(stream: S, transcript: Transcript) -> Connection<S> {
        Connection {
            stream,
            buf: Vec::with_capacity(1024),
            stage_bytes: 0,
            transcript,
        }
    }

    /// Gives back the stream for a TLS handshake (after `220` to `STARTTLS`,
    /// or to test whether a silent port speaks TLS), with the transcript.
    ///
    /// RFC 3207 §5: any byte already buffered was sent before the handshake,
    /// in plaintext, and would be read as if it came over TLS; a man in the
    /// middle can inject commands' replies that way (CVE-2011-0411 and its
    /// many successors). So this consumes the connection and refuses.
    pub(crate) fn into_tls(self) -> Result<(S, Transcript), Box<Injected>> {
        if self.buf.is_empty() {
            return Ok((self.stream, self.transcript));
        }
        let shown = &self.buf[..self.buf.len().min(200)];
        let injected = self.transcript.scrub(&String::from_utf8_lossy(shown));
        Err(Box::new(Injected {
            error: ProbeError::StartTlsInjection { injected },
            transcript: self.transcript,
        }))
    }

    /// Closes the connection without `QUIT` (the server waits for TLS, or
    /// the verdict is known); keeps the transcript.
    pub(crate) fn into_transcript(self) -> Transcript {
        self.transcript
    }

    /// Reads one complete reply within `deadline`.
    pub(crate) async fn read_reply(
        &mut self,
        stage: Stage,
        deadline: Duration,
    ) -> Result<Reply, ProbeError> {
        self.stage_bytes = 0;
        let result = with_timeout(stage, deadline, self.read_reply_inner(stage)).await;
        match result {
            Err(ProbeError::Timeout { stage, after, .. }) => Err(ProbeError::Timeout {
                stage,
                after,
                bytes_seen: self.stage_bytes,
            }),
            other => other,
        }
    }

    async fn read_reply_inner(&mut self, stage: Stage) -> Result<Reply, ProbeError> {
        let mut parser = ReplyParser::new();
        loop {
            let line = self.read_line(stage, parser.in_progress()).await?;
            self.transcript.server(&line);
            match parser.feed(&line) {
                Ok(Some(reply)) => return Ok(reply),
                Ok(None) => {}
                Err(e) => {
                    let reason = match &e {
                        ReplyError::Malformed { .. } => "not an SMTP reply line".to_string(),
                        other => other.to_string(),
                    };
                    return Err(ProbeError::Malformed {
                        stage,
                        reason,
                        line: self.transcript.scrub(&truncate(&line, 200)),
                    });
                }
            }
        }
    }

    /// One line without its ending; invalid UTF-8 is replaced, not fatal here.
    async fn read_line(&mut self, stage: Stage, mid_reply: bool) -> Result<String, ProbeError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let rest = self.buf.split_off(pos + 1);
                let line = std::mem::replace(&mut self.buf, rest);
                let text = String::from_utf8_lossy(&line);
                return Ok(text.trim_end_matches(['\r', '\n']).to_string());
            }
            if self.buf.len() > MAX_LINE_BYTES {
                return Err(ProbeError::LineTooLong {
                    stage,
                    limit: MAX_LINE_BYTES,
                });
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| io_error(stage, &e))?;
            if n == 0 {
                let partial = if self.buf.is_empty() && !mid_reply {
                    None
                } else {
                    Some(
                        self.transcript
                            .scrub(&truncate(&String::from_utf8_lossy(&self.buf), 200)),
                    )
                };
                return Err(ProbeError::ConnectionClosed { stage, partial });
            }
            self.stage_bytes += n;
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends one command line (CRLF appended); the transcript gets the redacted form.
    pub(crate) async fn send(
        &mut self,
        stage: Stage,
        command: &Command,
        deadline: Duration,
    ) -> Result<(), ProbeError> {
        self.transcript.client(&command.redacted());
        let line = format!("{command}\r\n");
        let stream = &mut self.stream;
        with_timeout(stage, deadline, async move {
            stream
                .write_all(line.as_bytes())
                .await
                .map_err(|e| io_error(stage, &e))?;
            stream.flush().await.map_err(|e| io_error(stage, &e))
        })
        .await
    }

    /// Sends a command and reads its reply, each under `deadline`.
    pub(crate) async fn command(
        &mut self,
        stage: Stage,
        command: &Command,
        deadline: Duration,
    ) -> Result<Reply, ProbeError> {
        self.send(stage, command, deadline).await?;
        self.read_reply(stage, deadline).await
    }

    /// Best-effort `QUIT`: errors are ignored, the verdict is already known.
    pub(crate) async fn quit(&mut self, deadline: Duration) {
        if self
            .send(Stage::Quit, &Command::Quit, deadline)
            .await
            .is_ok()
        {
            let _ = self.read_reply(Stage::Quit, deadline).await;
        }
        let _ = with_timeout(Stage::Quit, deadline, async {
            self.stream
                .shutdown()
                .await
                .map_err(|e| io_error(Stage::Quit, &e))
        })
        .await;
    }
}

fn io_error(stage: Stage, e: &io::Error) -> ProbeError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe => ProbeError::ConnectionClosed {
            stage,
            partial: None,
        },
        _ => ProbeError::Io {
            stage,
            reason: e.to_string(),
        },
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{Redactor, Secret};
    use tokio::io::{duplex, DuplexStream};

    const T: Duration = Duration::from_secs(5);

    /// A connection over an in-memory pipe, and the server's end of it.
    fn pair() -> (Connection<DuplexStream>, DuplexStream) {
        let (client, server) = duplex(64 * 1024);
        (Connection::new(client, Transcript::default()), server)
    }

    #[tokio::test]
    async fn a_reply_split_across_reads_is_one_reply() {
        let (mut conn, mut server) = pair();
        let writer = tokio::spawn(async move {
            for chunk in [
                "250-smtp.exa",
                "mple.test\r\n250-AUTH PL",
                "AIN\r",
                "\n250 OK\r\n",
            ] {
                server.write_all(chunk.as_bytes()).await.unwrap();
                server.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            server
        });
        let reply = conn.read_reply(Stage::Ehlo, T).await.unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(reply.lines, ["smtp.example.test", "AUTH PLAIN", "OK"]);
        assert_eq!(
            conn.transcript.lines(),
            ["S: 250-smtp.example.test", "S: 250-AUTH PLAIN", "S: 250 OK"]
        );
        drop(writer.await.unwrap());
    }

    #[tokio::test]
    async fn two_replies_in_one_read_stay_apart() {
        let (mut conn, mut server) = pair();
        server
            .write_all(b"220 ready\r\n250 second\r\n")
            .await
            .unwrap();
        assert_eq!(conn.read_reply(Stage::Greeting, T).await.unwrap().code, 220);
        assert_eq!(conn.read_reply(Stage::Ehlo, T).await.unwrap().code, 250);
    }

    #[tokio::test]
    async fn an_endless_line_is_refused_with_flat_memory() {
        let (mut conn, mut server) = pair();
        let writer = tokio::spawn(async move {
            let junk = [b'x'; 1024];
            // Far more than the limit, and no newline ever.
            for _ in 0..64 {
                if server.write_all(&junk).await.is_err() {
                    break;
                }
            }
        });
        let e = conn.read_reply(Stage::Greeting, T).await.unwrap_err();
        assert!(
            matches!(
                e,
                ProbeError::LineTooLong {
                    stage: Stage::Greeting,
                    limit: MAX_LINE_BYTES
                }
            ),
            "{e:?}"
        );
        assert!(
            conn.buf.len() <= MAX_LINE_BYTES + 4096,
            "{}",
            conn.buf.len()
        );
        drop(conn);
        writer.await.unwrap();
    }

    #[tokio::test]
    async fn a_line_at_the_limit_is_accepted() {
        let (mut conn, mut server) = pair();
        let text = "x".repeat(MAX_LINE_BYTES - 6);
        server
            .write_all(format!("250 {text}\r\n").as_bytes())
            .await
            .unwrap();
        let reply = conn.read_reply(Stage::Ehlo, T).await.unwrap();
        assert_eq!(reply.lines[0].len(), text.len());
    }

    #[tokio::test]
    async fn a_close_mid_reply_keeps_the_partial_line() {
        let (mut conn, mut server) = pair();
        server.write_all(b"250-first\r\n250 half").await.unwrap();
        drop(server);
        let e = conn.read_reply(Stage::Ehlo, T).await.unwrap_err();
        match e {
            ProbeError::ConnectionClosed { stage, partial } => {
                assert_eq!(stage, Stage::Ehlo);
                assert_eq!(partial.as_deref(), Some("250 half"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_silent_server_times_out_with_the_bytes_it_sent() {
        let (mut conn, mut server) = pair();
        server.write_all(b"250-drip\r\n").await.unwrap();
        let e = conn
            .read_reply(Stage::Ehlo, Duration::from_millis(50))
            .await
            .unwrap_err();
        match e {
            ProbeError::Timeout { bytes_seen, .. } => assert_eq!(bytes_seen, 10),
            other => panic!("{other:?}"),
        }
        drop(server);
    }

    #[tokio::test]
    async fn commands_go_out_with_crlf_and_the_transcript_is_redacted() {
        let (client, mut server) = duplex(4096);
        let secret = Secret::new("hunter2".into());
        let redactor = Redactor::new("alice", &secret, "smtp.example.test", 587);
        let mut conn = Connection::new(client, Transcript::new(redactor));
        // A server that echoes what it got must not put it in the transcript.
        server.write_all(b"535 no: hunter2\r\n").await.unwrap();
        let reply = conn
            .command(
                Stage::Auth,
                &Command::AuthResponse(crate::smtp::sasl::b64(b"hunter2")),
                T,
            )
            .await
            .unwrap();
        assert_eq!(reply.code, 535);
        let mut wire = vec![0u8; 64];
        let n = server.read(&mut wire).await.unwrap();
        assert_eq!(&wire[..n], b"aHVudGVyMg==\r\n");
        let transcript = conn.transcript.lines().join("\n");
        assert!(
            !transcript.contains("aHVudGVyMg") && !transcript.contains("hunter2"),
            "{transcript}"
        );
    }

    #[tokio::test]
    async fn into_tls_refuses_bytes_sent_before_the_handshake() {
        // RFC 3207 §5: a reply pipelined after `220` would be read as if it
        // had come over TLS.
        let (mut conn, mut server) = pair();
        server
            .write_all(b"220 go ahead\r\n250-INJECTED\r\n")
            .await
            .unwrap();
        let reply = conn.command(Stage::StartTls, &Command::StartTls, T).await;
        assert_eq!(reply.unwrap().code, 220);
        let Err(refused) = conn.into_tls() else {
            panic!("buffered bytes must not survive STARTTLS")
        };
        match refused.error {
            ProbeError::StartTlsInjection { injected } => {
                assert_eq!(injected, "250-INJECTED\r\n");
            }
            other => panic!("{other:?}"),
        }
        assert!(refused
            .transcript
            .lines()
            .contains(&"S: 220 go ahead".to_string()));
    }

    #[tokio::test]
    async fn into_tls_hands_over_a_clean_stream() {
        let (mut conn, mut server) = pair();
        server.write_all(b"220 go ahead\r\n").await.unwrap();
        conn.command(Stage::StartTls, &Command::StartTls, T)
            .await
            .unwrap();
        let Ok((mut stream, transcript)) = conn.into_tls() else {
            panic!("nothing was buffered")
        };
        assert_eq!(transcript.lines(), ["C: STARTTLS", "S: 220 go ahead"]);
        // What the server sends next reaches the new owner, whole.
        server.write_all(b"\x16\x03\x01").await.unwrap();
        let mut first = [0u8; 3];
        stream.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"\x16\x03\x01");
    }
}
