package io.mtemigrate.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback between a source and a target that breaks the source-to-target stream on purpose: it cuts
 * every connection once a given number of bytes has passed (counted over all connections), or flips one bit at a
 * given offset of that stream, or stops reading from the source once a given number of bytes has passed (a stalled
 * target) until told to pass again. The target-to-source direction passes untouched.
 */
final class FaultProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicLong forwarded = new AtomicLong();
    private volatile long cutAt = Long.MAX_VALUE;
    private volatile long flipAt = Long.MAX_VALUE;
    private volatile int flipBit;
    private volatile boolean flipped;
    private volatile long stallAt = Long.MAX_VALUE;
    private volatile long bytesPerSecond;
    private volatile long pacingStart;
    private volatile boolean refusing;
    private final Thread acceptor;

    FaultProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofPlatform().daemon().name("proxy-accept").start(this::accept);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** The next migration's stream is cut after {@code bytes} bytes (source to target, all channels together). */
    void cutAfter(long bytes) {
        reset();
        cutAt = bytes;
    }

    /** The next migration's stream gets bit {@code bit} of byte {@code offset} flipped. */
    void flipAt(long offset, int bit) {
        reset();
        flipAt = offset;
        flipBit = bit;
    }

    /** The stream to the target stops after {@code bytes} bytes, as if the target stopped reading. */
    void stallAfter(long bytes) {
        reset();
        stallAt = bytes;
    }

    /** The stream to the target is forwarded at {@code rate} bytes per second, like a slow link. */
    void throttle(long rate) {
        reset();
        pacingStart = System.nanoTime();
        bytesPerSecond = rate;
    }

    /** Cuts every connection now; new ones pass as before. */
    void cutNow() {
        cutAll();
    }

    /** New connections are closed as soon as they are accepted, as if the source could not reach the target. */
    void refuseNewConnections() {
        refusing = true;
    }

    void passThrough() {
        reset();
    }

    private synchronized void reset() {
        stallAt = Long.MAX_VALUE;
        bytesPerSecond = 0;
        notifyAll();
        forwarded.set(0);
        cutAt = Long.MAX_VALUE;
        flipAt = Long.MAX_VALUE;
        flipped = false;
    }

    boolean flipped() {
        return flipped;
    }

    long forwarded() {
        return forwarded.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (refusing) {
                    close(client);
                    continue;
                }
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofPlatform().daemon().start(() -> pump(client, upstream, true));
                Thread.ofPlatform().daemon().start(() -> pump(upstream, client, false));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean toTarget) {
        byte[] buffer = new byte[64 << 10];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (toTarget) {
                    long start;
                    synchronized (this) {
                        start = forwarded.getAndAdd(n);
                        long flip = flipAt;
                        if (flip >= start && flip < start + n) {
                            buffer[(int) (flip - start)] ^= (byte) (1 << flipBit);
                            flipped = true;
                        }
                    }
                    if (start + n > stallAt) {
                        int keep = (int) Math.max(0, stallAt - start);
                        out.write(buffer, 0, keep);
                        out.flush();
                        awaitUnstalled(from);
                        out.write(buffer, keep, n - keep);
                        out.flush();
                        continue;
                    }
                    if (start + n > cutAt) {
                        int keep = (int) Math.max(0, cutAt - start);
                        out.write(buffer, 0, keep);
                        out.flush();
                        cutAll();
                        return;
                    }
                }
                out.write(buffer, 0, n);
                out.flush();
                if (toTarget) {
                    pace();
                }
            }
        } catch (IOException e) {
            // One side went away: take the other down too, as a broken network would.
        } finally {
            close(from);
            close(to);
        }
    }

    /** Holds the forwarding back until the bytes so far fit the throttled rate. */
    private void pace() {
        long rate = bytesPerSecond;
        if (rate > 0) {
            long due = pacingStart + forwarded.get() * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
    }

    private synchronized void awaitUnstalled(Socket from) throws IOException {
        while (stallAt != Long.MAX_VALUE && !from.isClosed()) {
            try {
                wait(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while stalled");
            }
        }
    }

    private void cutAll() {
        for (Socket socket : List.copyOf(sockets)) {
            close(socket);
            sockets.remove(socket);
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws Exception {
        passThrough();
        server.close();
        cutAll();
        acceptor.join(5_000);
    }
}
