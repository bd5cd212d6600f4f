package io.mtemigrate.tagstream.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.mtemigrate.proto.Capabilities;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.Hello;
import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.NoLeaks;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.compress.Compression;
import io.mtemigrate.tagstream.file.FileFrameSink;
import io.mtemigrate.tagstream.file.StreamFileException;
import io.mtemigrate.tagstream.file.StreamFileLayout;
import io.mtemigrate.tagstream.file.StreamFileInfo;
import io.mtemigrate.tagstream.file.StreamFileReader;
import io.mtemigrate.tagstream.file.StreamFrameHandler;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Stream files, in the frame package's tests because they replay through the same codecs. */
@ExtendWith(NoLeaks.class)
class StreamFileTest {

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final FrameLimits LIMITS = FrameLimits.DEFAULT;
    private static final ControlMessage HELLO = ControlMessage.newBuilder().setHello(Hello.newBuilder()
            .setProtocolVersion(1).addAcceptedVersions(1)
            .setCapabilities(Capabilities.newBuilder().setMte(true).setPageSize(4096))).build();

    @TempDir
    Path dir;

    private final TestRun run4k = new TestRun(PageSize.SIZE_4K, 6, 21, true);
    private final TestRun run16k = new TestRun(PageSize.SIZE_16K, 2, 22, true);
    private final StreamFileReader reader = new StreamFileReader(LIMITS, ALLOC);

    @Test
    void shouldReplayExactlyWhatWasRecorded() throws Exception {
        Path file = record(dir.resolve("run.mtestream"));
        List<Object> seen = new ArrayList<>();

        StreamFileInfo info = reader.read(file, new StreamFrameHandler() {
            @Override
            public void onControl(ControlMessage message) {
                seen.add(message);
            }

            @Override
            public void onPageBatch(PageBatch batch) {
                seen.add(batch.pageSize());
                FrameDecoderTest.assertBatchEquals(batch.pageSize() == 4096 ? run4k : run16k, batch.retain());
            }
        });

        assertEquals(List.of(HELLO, 4096, 16384, HELLO), seen);
        assertEquals(new StreamFileInfo(StreamFileLayout.FORMAT_VERSION, 1234L, 4, Files.size(file) - 64), info);
    }

    @Test
    void shouldRefuseATruncatedFileNamingWhereTheTrailerShouldBe() throws Exception {
        Path file = record(dir.resolve("run.mtestream"));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));

        StreamFileException e = assertThrows(StreamFileException.class, () -> reader.verify(file));

        assertEquals(bytes.length - 100 - 32, e.offset());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void shouldRefuseAFileWithAFrameCutOut() throws Exception {
        Path file = record(dir.resolve("run.mtestream"));
        byte[] bytes = Files.readAllBytes(file);
        byte[] cut = new byte[bytes.length - 10];
        System.arraycopy(bytes, 0, cut, 0, 1000);
        System.arraycopy(bytes, 1010, cut, 1000, bytes.length - 1010);
        Files.write(file, cut);

        StreamFileException e = assertThrows(StreamFileException.class, () -> reader.verify(file));

        assertTrue(e.getMessage().contains("the file holds"), e.getMessage());
    }

    @Test
    void shouldRefuseAnotherFormatVersionNamingBothVersions() throws Exception {
        Path file = record(dir.resolve("run.mtestream"));
        byte[] bytes = Files.readAllBytes(file);
        bytes[8] = 3;
        Files.write(file, bytes);

        StreamFileException e = assertThrows(StreamFileException.class, () -> reader.verify(file));

        assertTrue(e.getMessage().contains("stream file format version 3, this reader reads version 2"), e.getMessage());
        assertEquals(8, e.offset());
    }

    @Test
    void shouldRefuseARecordingOfTheOlderFormatSayingToRecordAgain() throws Exception {
        Path file = record(dir.resolve("run.mtestream"));
        byte[] bytes = Files.readAllBytes(file);
        bytes[8] = 1;
        Files.write(file, bytes);

        StreamFileException e = assertThrows(StreamFileException.class, () -> reader.verify(file));

        assertTrue(e.getMessage().contains("stream file format version 1, this reader reads version 2 (recorded by an"
                + " older mte-migrate, whose frames this one cannot read: record the migration again)"), e.getMessage());
        assertEquals(8, e.offset());
    }

    @Test
    void shouldNameTheFileOffsetOfACorruptFrame() throws Exception {
        Path file = record(dir.resolve("run.mtestream"));
        byte[] bytes = Files.readAllBytes(file);
        int firstFrame = HELLO.getSerializedSize() + FrameLayout.MIN_FRAME_LENGTH;
        bytes[32 + firstFrame + 200] ^= 0x01;
        Files.write(file, bytes);

        StreamFileException e = assertThrows(StreamFileException.class, () -> reader.verify(file));

        assertEquals(32 + firstFrame, e.offset());
        assertTrue(e.getMessage().contains("frame 1 at byte offset " + (32 + firstFrame)), e.getMessage());
    }

    /**
     * Format 2 leaves a page batch's payload outside its frame's CRC, so the frame decodes; the file
     * is still refused, by the trailer's CRC of all frames.
     */
    @Test
    void shouldRefuseAFlippedPayloadBitByTheTrailersCrc() throws Exception {
        Path file = record(dir.resolve("run.mtestream"));
        byte[] bytes = Files.readAllBytes(file);
        int batchAt = 32 + HELLO.getSerializedSize() + FrameLayout.MIN_FRAME_LENGTH;
        long checked = TestFrames.checkedLength(Arrays.copyOfRange(bytes, batchAt, batchAt + PageBatchLayout.HEADER_LENGTH));
        bytes[batchAt + (int) checked + 10] ^= 0x01;
        Files.write(file, bytes);

        StreamFileException e = assertThrows(StreamFileException.class, () -> reader.verify(file));

        assertTrue(e.getMessage().contains("CRC32C of all frames"), e.getMessage());
    }

    @Test
    void shouldLeaveNoFileBehindWhenAborted() throws Exception {
        Path target = dir.resolve("never.mtestream");
        FileFrameSink sink = FileFrameSink.create(target, 1);
        sink.send(ControlFrames.encode(ALLOC, HELLO, LIMITS));

        sink.abort();

        assertFalse(Files.exists(target));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "the temporary file must be gone");
        }
    }

    @Test
    void shouldNotShowAnUnfinishedRecordingUnderItsName() throws Exception {
        Path target = dir.resolve("unfinished.mtestream");
        try (FileFrameSink sink = FileFrameSink.create(target, 1)) {
            sink.send(ControlFrames.encode(ALLOC, HELLO, LIMITS));

            assertFalse(Files.exists(target));
        }
        assertTrue(Files.exists(target));
    }

    @Test
    void shouldReportEveryOneOfAThousandFlippedBits() throws Exception {
        byte[] original = Files.readAllBytes(record(dir.resolve("run.mtestream")));
        Path copy = dir.resolve("flipped.mtestream");
        Random random = new Random(0x5EED);

        for (int k = 0; k < 1000; k++) {
            byte[] bytes = original.clone();
            int bit = random.nextInt(bytes.length * 8);
            bytes[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(copy, bytes);
            try {
                reader.verify(copy);
                fail("flipping bit " + bit + " (byte " + bit / 8 + ") went unnoticed");
            } catch (StreamFileException expected) {
                // reported, as it must be
            } catch (IOException | RuntimeException other) {
                fail("flipping bit " + bit + " gave " + other + " instead of a StreamFileException");
            }
        }
    }

    private Path record(Path target) throws IOException {
        EncoderConfig zstd = EncoderConfig.defaults().withPageCompression(Compression.zstd(1));
        try (FileFrameSink sink = FileFrameSink.create(target, 1234L);
             PageBatchEncoder plain = new PageBatchEncoder(EncoderConfig.defaults());
             PageBatchEncoder compressed = new PageBatchEncoder(zstd)) {
            sink.send(ControlFrames.encode(ALLOC, HELLO, LIMITS));
            sink.send(plain.encode(ALLOC, 3, 2, 1000, run4k.pages, 4096, run4k.ram, run4k.ramOffset, run4k.tags,
                    run4k.tagsOffset));
            sink.send(compressed.encode(ALLOC, 3, 2, 1000, run16k.pages, 16384, run16k.ram, run16k.ramOffset,
                    run16k.tags, run16k.tagsOffset));
            sink.send(ControlFrames.encode(ALLOC, HELLO, LIMITS));
        }
        return target;
    }
}
