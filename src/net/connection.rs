//! A buffered SMTP connection: bounded line reading, replies in, commands out.
//!
//! Reads are capped (`MAX_LINE_BYTES` per line, `MAX_REPLY_LINES` per reply)
//! and every read runs under its stage's deadline, so an endless or dripping
//! server ends in a `ProbeError` with flat memory. Every line in or out goes to
//! the `Transcript`, which scrubs secrets.

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
pub const MAX_LINE_BYTES: usize = 4096;

/// The socket, plain or TLS.
pub enum Stream {
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
pub struct Connection {
    stream: Stream,
    buf: Vec<u8>,
    /// Bytes received during the current read (for "slow drip" reports).
    stage_bytes: usize,
    pub transcript: Transcript,
}

impl Connection {
    pub fn new(stream: Stream, transcript: Transcript) -> Connection {
        Connection {
            stream,
            buf: Vec::with_capacity(1024),
            stage_bytes: 0,
            transcript,
        }
    }

    /// Bytes received but not yet consumed as reply lines.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Gives back the socket, e.g. for the TLS upgrade. The caller must have
    /// checked that nothing is buffered (RFC 3207 §5).
    pub fn into_parts(self) -> (Stream, Transcript) {
        (self.stream, self.transcript)
    }

    /// Reads one complete reply within `deadline`.
    pub async fn read_reply(
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
    pub async fn send(
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
    pub async fn command(
        &mut self,
        stage: Stage,
        command: &Command,
        deadline: Duration,
    ) -> Result<Reply, ProbeError> {
        self.send(stage, command, deadline).await?;
        self.read_reply(stage, deadline).await
    }

    /// Best-effort `QUIT`: errors are ignored, the verdict is already known.
    pub async fn quit(&mut self, deadline: Duration) {
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
