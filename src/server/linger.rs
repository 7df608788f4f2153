//! Lingering close, as nginx does it: when hyper is done with a connection, what the client
//! still sends is read and dropped for a moment before the socket closes. Closing a socket with
//! unread bytes in it makes the kernel answer with a reset, which can destroy a refusal already
//! sent (a 413 for a body over the limit) before the client reads it.
//!
//! Unlike nginx, the write side stays open until the client has sent all it meant to (it
//! closes, or goes quiet): HTTP clients such as hyper's that see the end of the stream while
//! still sending a body call the answer incomplete, even one they have received whole. The 413
//! says `Connection: close`, so the client sends nothing more.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// Longest a closing connection is read from.
const LINGER_TIME: Duration = Duration::from_secs(2);
/// A client that sends nothing for this long has sent its last byte.
const QUIET: Duration = Duration::from_millis(250);
/// Most bytes read from one closing connection (a body a little over the block route's limit
/// drains whole).
const LINGER_BYTES: usize = 32 << 20;
/// Connections lingering at once; past this, a connection closes at once.
static LINGERING: Semaphore = Semaphore::const_new(256);

/// A TCP connection that lingers when dropped.
#[derive(Debug)]
pub(super) struct Lingering {
    stream: Option<TcpStream>,
}

impl Lingering {
    pub(super) fn new(stream: TcpStream) -> Self {
        Self {
            stream: Some(stream),
        }
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl AsyncRead for Lingering {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_read(cx, buf),
            Err(err) => Poll::Ready(Err(err)),
        }
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_write(cx, buf),
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_flush(cx),
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    /// Flushes only: the write side is shut by [`linger`], once the client is done sending.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream() {
            Ok(stream) => Pin::new(stream).poll_flush(cx),
            Err(err) => Poll::Ready(Err(err)),
        }
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        let (Ok(permit), Ok(runtime)) = (
            LINGERING.try_acquire(),
            tokio::runtime::Handle::try_current(),
        ) else {
            return;
        };
        runtime.spawn(async move {
            let _permit = permit;
            linger(stream).await;
        });
    }
}

/// Reads and drops what the client sends until it closes, stays quiet for [`QUIET`], or
/// [`LINGER_BYTES`] or [`LINGER_TIME`] run out; then shuts the write side and closes.
async fn linger(mut stream: TcpStream) {
    let mut buffer = vec![0u8; 16 * 1024];
    let mut left = LINGER_BYTES;
    let _ = tokio::time::timeout(LINGER_TIME, async {
        while left > 0 {
            match tokio::time::timeout(QUIET, stream.read(&mut buffer)).await {
                Ok(Ok(0) | Err(_)) | Err(_) => break,
                Ok(Ok(n)) => left = left.saturating_sub(n),
            }
        }
    })
    .await;
    let _ = stream.shutdown().await;
}
