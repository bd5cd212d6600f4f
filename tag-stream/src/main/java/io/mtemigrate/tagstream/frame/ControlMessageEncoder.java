package io.mtemigrate.tagstream.frame;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.FrameLimits;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Netty encoder: {@link ControlMessage} in, control frame out. Page-batch frames are already
 * {@code ByteBuf}s and pass by untouched. Stateless, hence sharable.
 */
@Sharable
public final class ControlMessageEncoder extends MessageToByteEncoder<ControlMessage> {

    private final FrameLimits limits;

    public ControlMessageEncoder(FrameLimits limits) {
        super(ControlMessage.class);
        this.limits = limits;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, ControlMessage message, ByteBuf out) {
        int size = message.getSerializedSize();
        if (size > limits.maxControlBytes()) {
            throw new IllegalArgumentException("control message " + message.getBodyCase() + " takes " + size
                    + " bytes, above the " + limits.maxControlBytes() + "-byte limit");
        }
        ControlFrames.write(message, out, size);
    }
}
