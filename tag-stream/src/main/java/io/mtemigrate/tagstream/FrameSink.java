package io.mtemigrate.tagstream;

import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * Where encoded frames go: a socket channel during a migration, a stream file when recording.
 * Both go through the same encoders, so a recording is byte for byte what the wire carried.
 */
public interface FrameSink extends AutoCloseable {

    /** Takes ownership of {@code frame}: the sink releases it, also when it throws. */
    void send(ByteBuf frame) throws IOException;

    @Override
    void close() throws IOException;
}
