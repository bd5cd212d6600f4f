package io.mtemigrate.tagstream.file;

import static io.mtemigrate.tagstream.file.StreamFileLayout.*;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.frame.FrameDecoder;
import io.mtemigrate.tagstream.frame.FrameLayout;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Replays a stream file ({@link StreamFileLayout}) through the same {@link FrameDecoder} a socket
 * feeds. Header and trailer are checked before the first frame is handed out, so a truncated or
 * unfinished file is refused up front; a corrupt frame stops the replay at that frame.
 */
public final class StreamFileReader {

    private static final int CHUNK = 64 * 1024;

    private final FrameLimits limits;
    private final ByteBufAllocator alloc;

    public StreamFileReader(FrameLimits limits, ByteBufAllocator alloc) {
        this.limits = limits;
        this.alloc = alloc;
    }

    /** Checks every byte without handing frames to anyone. */
    public StreamFileInfo verify(Path file) throws IOException {
        return read(file, new StreamFrameHandler() {
            @Override
            public void onControl(ControlMessage message) {
            }

            @Override
            public void onPageBatch(PageBatch batch) {
            }
        });
    }

    /**
     * Hands every frame to {@code handler}, in file order.
     *
     * @throws StreamFileException naming the offset and what was expected, for any defect
     */
    public StreamFileInfo read(Path file, StreamFrameHandler handler) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < HEADER_LENGTH + TRAILER_LENGTH) {
                throw new StreamFileException(file, size, "file ends after " + size + " bytes, expected at least "
                        + (HEADER_LENGTH + TRAILER_LENGTH) + " (header and trailer)");
            }
            ByteBuffer header = readFully(channel, 0, HEADER_LENGTH);
            checkHeader(file, header);
            long trailerAt = size - TRAILER_LENGTH;
            ByteBuffer trailer = readFully(channel, trailerAt, TRAILER_LENGTH);
            checkTrailer(file, trailer, trailerAt);

            FrameReplay replay = new FrameReplay(file, handler);
            long frames = replay.run(channel, trailerAt);
            long expectedFrames = trailer.getLong(FRAME_COUNT_OFFSET);
            if (frames != expectedFrames) {
                throw new StreamFileException(file, trailerAt + FRAME_COUNT_OFFSET, "trailer counts " + expectedFrames
                        + " frames, the file holds " + frames);
            }
            int expectedCrc = trailer.getInt(FRAMES_CRC_OFFSET);
            if (replay.crc() != expectedCrc) {
                // Every frame's own CRC held, and those cover all but page data: the damage is in a page's bytes.
                throw new StreamFileException(file, trailerAt + FRAMES_CRC_OFFSET, "CRC32C of all frames is 0x"
                        + Integer.toHexString(replay.crc()) + ", trailer expects 0x" + Integer.toHexString(expectedCrc)
                        + ": page data between byte offsets " + HEADER_LENGTH + " and " + trailerAt + " is damaged");
            }
            return new StreamFileInfo(header.getInt(FORMAT_VERSION_OFFSET), header.getLong(CREATED_OFFSET), frames,
                    trailerAt - HEADER_LENGTH);
        }
    }

    private static void checkHeader(Path file, ByteBuffer header) throws StreamFileException {
        byte[] magic = new byte[HEADER_MAGIC.length];
        header.get(MAGIC_OFFSET, magic);
        if (!Arrays.equals(magic, HEADER_MAGIC)) {
            throw new StreamFileException(file, MAGIC_OFFSET, "magic " + describe(magic) + ", expected "
                    + describe(HEADER_MAGIC) + ": not an mte-migrate stream file");
        }
        // The version is checked before the CRC: another version may lay out (and check) its header differently.
        int version = header.getInt(FORMAT_VERSION_OFFSET);
        if (version != FORMAT_VERSION) {
            throw new StreamFileException(file, FORMAT_VERSION_OFFSET, "stream file format version " + version
                    + ", this reader reads version " + FORMAT_VERSION + (version < FORMAT_VERSION
                    ? " (recorded by an older mte-migrate, whose frames this one cannot read: record the migration again)"
                    : " (recorded by a newer mte-migrate)"));
        }
        int crc = FileFrameSink.crc(header, HEADER_CRC_OFFSET);
        if (crc != header.getInt(HEADER_CRC_OFFSET)) {
            throw new StreamFileException(file, HEADER_CRC_OFFSET, "header CRC32C is 0x"
                    + Integer.toHexString(header.getInt(HEADER_CRC_OFFSET)) + ", header bytes give 0x"
                    + Integer.toHexString(crc));
        }
        int frameVersion = header.getInt(FRAME_VERSION_OFFSET);
        if (frameVersion != FrameLayout.VERSION || header.getInt(HEADER_RESERVED_OFFSET) != 0) {
            throw new StreamFileException(file, FRAME_VERSION_OFFSET, "frame format version " + frameVersion
                    + " (reserved 0x" + Integer.toHexString(header.getInt(HEADER_RESERVED_OFFSET))
                    + "), this reader reads frame version " + FrameLayout.VERSION + " with reserved 0");
        }
    }

    private static void checkTrailer(Path file, ByteBuffer trailer, long trailerAt) throws StreamFileException {
        byte[] magic = new byte[TRAILER_MAGIC.length];
        trailer.get(MAGIC_OFFSET, magic);
        if (!Arrays.equals(magic, TRAILER_MAGIC)) {
            throw new StreamFileException(file, trailerAt, "no trailer: found " + describe(magic) + " where "
                    + describe(TRAILER_MAGIC) + " was expected; the file is truncated or its recording never finished");
        }
        int crc = FileFrameSink.crc(trailer, TRAILER_CRC_OFFSET);
        if (crc != trailer.getInt(TRAILER_CRC_OFFSET)) {
            throw new StreamFileException(file, trailerAt + TRAILER_CRC_OFFSET, "trailer CRC32C is 0x"
                    + Integer.toHexString(trailer.getInt(TRAILER_CRC_OFFSET)) + ", trailer bytes give 0x"
                    + Integer.toHexString(crc));
        }
        long frameBytes = trailer.getLong(FRAME_BYTES_OFFSET);
        if (frameBytes != trailerAt - HEADER_LENGTH) {
            throw new StreamFileException(file, trailerAt + FRAME_BYTES_OFFSET, "trailer says the frames take "
                    + frameBytes + " bytes, the file holds " + (trailerAt - HEADER_LENGTH)
                    + " between header and trailer");
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long at, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, at + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at offset " + (at + buffer.position()));
            }
        }
        return buffer.clear();
    }

    /** Feeds the frame region through a decoder in an embedded channel and dispatches its output. */
    private final class FrameReplay {
        private final Path file;
        private final StreamFrameHandler handler;
        private final CRC32C crc = new CRC32C();

        FrameReplay(Path file, StreamFrameHandler handler) {
            this.file = file;
            this.handler = handler;
        }

        int crc() {
            return (int) crc.getValue();
        }

        long run(FileChannel channel, long end) throws IOException {
            FrameDecoder decoder = new FrameDecoder(limits, HEADER_LENGTH);
            EmbeddedChannel embedded = new EmbeddedChannel(decoder);
            embedded.config().setAllocator(alloc);
            try {
                for (long at = HEADER_LENGTH; at < end; ) {
                    int length = (int) Math.min(CHUNK, end - at);
                    ByteBuf chunk = alloc.buffer(length);
                    try {
                        while (chunk.writerIndex() < length) {
                            if (chunk.writeBytes(channel, at + chunk.writerIndex(), length - chunk.writerIndex()) < 0) {
                                throw new StreamFileException(file, at + chunk.writerIndex(), "file shrank while reading");
                            }
                        }
                        crc.update(chunk.nioBuffer());
                    } catch (IOException | RuntimeException e) {
                        chunk.release();
                        throw e;
                    }
                    embedded.writeInbound(chunk);
                    dispatch(embedded);
                    at += length;
                }
                embedded.finish();
                dispatch(embedded);
                return decoder.frameCount();
            } catch (FrameException e) {
                throw new StreamFileException(file, e.streamOffset(), e.getMessage(), e);
            } finally {
                embedded.finishAndReleaseAll();
            }
        }

        private void dispatch(EmbeddedChannel embedded) throws IOException {
            Object frame;
            while ((frame = embedded.readInbound()) != null) {
                try {
                    if (frame instanceof PageBatch batch) {
                        handler.onPageBatch(batch);
                    } else {
                        handler.onControl((ControlMessage) frame);
                    }
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException("stream frame handler failed on frame " + frame, e);
                } finally {
                    ReferenceCountUtil.release(frame);
                }
            }
        }
    }
}
