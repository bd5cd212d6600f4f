package io.mtemigrate.source;

import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.Hello;
import io.mtemigrate.proto.HelloAccept;
import io.mtemigrate.proto.Ready;
import io.mtemigrate.proto.Released;
import io.mtemigrate.tagstream.file.FileFrameSink;
import io.mtemigrate.tagstream.frame.ControlFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * Records a migration into a stream file: the exact byte stream a one-channel target would receive, so a replay
 * feeds it to a target unchanged. The recorder plays the target's part of the conversation itself (it accepts the
 * handshake, is always ready, and acknowledges Complete with the source's own digest), and the file appears under
 * its name only when the migration completed.
 */
final class StreamFileTransport implements MigrationTransport {
    private final FileFrameSink sink;
    private final Path file;
    private final ArrayDeque<ControlMessage> answers = new ArrayDeque<>();
    private long bytesWritten;
    private boolean committed;

    private StreamFileTransport(FileFrameSink sink, Path file) {
        this.sink = sink;
        this.file = file;
    }

    static StreamFileTransport create(Path file, Hello hello) throws MigrationFailure {
        FileFrameSink sink;
        try {
            sink = FileFrameSink.create(file, System.currentTimeMillis());
        } catch (IOException e) {
            throw MigrationFailure.failed("cannot create the stream file " + file + ": " + e.getMessage(), e);
        }
        StreamFileTransport transport = new StreamFileTransport(sink, file);
        try {
            transport.sendControl(0, ControlMessage.newBuilder().setHello(hello).build());
            // A socket's HelloAccept is consumed while connecting; the migration never asks for this one.
            transport.answers.clear();
        } catch (MigrationFailure e) {
            transport.close();
            throw e;
        }
        return transport;
    }

    @Override
    public int channelCount() {
        return 1;
    }

    @Override
    public ByteBufAllocator alloc() {
        return PooledByteBufAllocator.DEFAULT;
    }

    @Override
    public void send(int channel, ByteBuf frame, Checkpoint checkpoint) throws MigrationFailure {
        int size = frame.readableBytes();
        try {
            sink.send(frame);
        } catch (IOException e) {
            throw MigrationFailure.failed("writing the stream file " + file + " failed: " + e.getMessage(), e);
        }
        bytesWritten += size;
    }

    @Override
    public void sendControl(int channel, ControlMessage message) throws MigrationFailure {
        send(channel, ControlFrames.encode(alloc(), message, Protocol.LIMITS), Checkpoint.NONE);
        answer(message);
    }

    /** What a target that accepts everything would say. */
    private void answer(ControlMessage message) {
        switch (message.getBodyCase()) {
            case HELLO -> answers.add(ControlMessage.newBuilder().setHelloAccept(HelloAccept.newBuilder()
                    .setProtocolVersion(message.getHello().getProtocolVersion())
                    .setAgreed(message.getHello().getCapabilities())
                    .setSessionId(message.getHello().getSessionId()).setSoftware(Protocol.SOFTWARE)).build());
            case VM_LAYOUT -> answers.add(ControlMessage.newBuilder()
                    .setReady(Ready.newBuilder().setRamBytes(message.getVmLayout().getRamBytes())).build());
            case COMPLETE -> answers.add(ControlMessage.newBuilder().setAck(Ack.newBuilder()
                    .setTargetDigest(message.getComplete().getRamTagsDigest())
                    .setTargetVcpuStateDigest(message.getComplete().getVcpuStateDigest()).setResumed(true)
                    .setPagesApplied(message.getComplete().getPagesTotal()).setInfo("recorded to " + file)).build());
            case RELEASE -> answers.add(ControlMessage.newBuilder().setReleased(Released.getDefaultInstance()).build());
            default -> {
            }
        }
    }

    @Override
    public boolean sendControlAndWait(int channel, ControlMessage message) {
        try {
            sendControl(channel, message);
            return true;
        } catch (MigrationFailure e) {
            return false;
        }
    }

    @Override
    public ControlMessage awaitControl(long deadlineNanos, Checkpoint checkpoint) throws MigrationFailure {
        ControlMessage answer = answers.poll();
        if (answer == null) {
            throw MigrationFailure.failed("the recording expected no answer here");
        }
        return answer;
    }

    @Override
    public long bytesWritten() {
        return bytesWritten;
    }

    @Override
    public void throwIfFailed() {
    }

    @Override
    public void commit() throws MigrationFailure {
        try {
            sink.close();
            committed = true;
        } catch (IOException e) {
            throw MigrationFailure.failed("finishing the stream file " + file + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (!committed) {
            try {
                sink.abort();
            } catch (IOException e) {
                // Nothing named like a finished recording exists; a stray temporary file is all that can be left.
            }
        }
    }
}
