package io.mtemigrate.tagstream.file;

import static io.mtemigrate.tagstream.file.StreamFileLayout.*;

import io.mtemigrate.tagstream.FrameSink;
import io.mtemigrate.tagstream.frame.FrameLayout;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Records frames into a stream file ({@link StreamFileLayout}). It writes to a temporary file
 * next to the target and renames it into place only in {@link #close()}, after the trailer, so
 * no half-written file ever carries the target's name. After a failed write, or {@link #abort()},
 * the temporary file is deleted and nothing is renamed.
 *
 * <p>Not thread-safe: frames of several channels are funnelled through one thread.
 */
public final class FileFrameSink implements FrameSink {

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final CRC32C framesCrc = new CRC32C();
    private long position = HEADER_LENGTH;
    private long frames;
    private boolean broken;
    private ByteBuffer scratch;
    private boolean closed;

    private FileFrameSink(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /** Starts recording into {@code target}, which appears only once {@link #close()} succeeds. */
    public static FileFrameSink create(Path target, long createdMillis) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".partial");
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        FileFrameSink sink = new FileFrameSink(target, temp, channel);
        try {
            sink.writeFully(header(createdMillis), 0);
        } catch (IOException e) {
            sink.abort();
            throw e;
        }
        return sink;
    }

    @Override
    public void send(ByteBuf frame) throws IOException {
        try {
            if (closed || broken) {
                throw new IOException("stream file " + target + " is " + (closed ? "closed" : "broken by an earlier write error"));
            }
            int length = frame.readableBytes();
            if (length < FrameLayout.MIN_FRAME_LENGTH || frame.getIntLE(frame.readerIndex()) != length) {
                throw new IllegalArgumentException("not a single whole frame: " + length + " bytes, length field says "
                        + (length >= 4 ? frame.getUnsignedIntLE(frame.readerIndex()) : -1));
            }
            // A batch's payload is live guest memory, which a running guest may change between the checksum and
            // the write: a recording is checked whole on replay, so it must hold the bytes its trailer summed.
            ByteBuffer stable = stableCopy(frame, length);
            framesCrc.update(stable.duplicate());
            position += writeFully(stable, position);
            frames++;
        } catch (IOException | RuntimeException e) {
            broken = true;
            throw e;
        } finally {
            frame.release();
        }
    }

    private ByteBuffer stableCopy(ByteBuf frame, int length) {
        if (scratch == null || scratch.capacity() < length) {
            scratch = ByteBuffer.allocateDirect(Math.max(length, 1 << 20));
        }
        ByteBuffer copy = scratch.clear().limit(length);
        frame.getBytes(frame.readerIndex(), copy);
        return copy.flip();
    }

    /** Bytes of frames written so far. */
    public long frameBytes() {
        return position - HEADER_LENGTH;
    }

    public long frames() {
        return frames;
    }

    /** Writes the trailer, syncs and renames the file into place; after a failure it aborts instead. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        if (broken) {
            abort();
            throw new IOException("stream file " + target + " was not written: an earlier write failed");
        }
        closed = true;
        try {
            writeFully(trailer(), position);
            channel.force(true);
            channel.close();
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Drops the recording: nothing appears under the target name. */
    public void abort() throws IOException {
        closed = true;
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static ByteBuffer header(long createdMillis) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC_OFFSET, HEADER_MAGIC)
                .putInt(FORMAT_VERSION_OFFSET, FORMAT_VERSION)
                .putInt(FRAME_VERSION_OFFSET, FrameLayout.VERSION)
                .putLong(CREATED_OFFSET, createdMillis)
                .putInt(HEADER_RESERVED_OFFSET, 0)
                .putInt(HEADER_CRC_OFFSET, crc(header, HEADER_CRC_OFFSET));
        return header;
    }

    private ByteBuffer trailer() {
        ByteBuffer trailer = ByteBuffer.allocate(TRAILER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        trailer.put(MAGIC_OFFSET, TRAILER_MAGIC)
                .putLong(FRAME_COUNT_OFFSET, frames)
                .putLong(FRAME_BYTES_OFFSET, frameBytes())
                .putInt(FRAMES_CRC_OFFSET, (int) framesCrc.getValue())
                .putInt(TRAILER_CRC_OFFSET, crc(trailer, TRAILER_CRC_OFFSET));
        return trailer;
    }

    static int crc(ByteBuffer buffer, int length) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().position(0).limit(length));
        return (int) crc.getValue();
    }

    private int writeFully(ByteBuffer source, long at) throws IOException {
        ByteBuffer part = source.duplicate();
        int length = part.remaining();
        long pos = at;
        while (part.hasRemaining()) {
            pos += channel.write(part, pos);
        }
        return length;
    }
}
