package io.mtemigrate.incoming;

import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.tagstream.frame.ControlFrames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;

import java.util.List;

/**
 * First in a TLS target's pipeline: a connection that starts with a TLS record gets the TLS handler in its place;
 * one that starts in the clear (a source without TLS) is told, in the clear, that this target needs mutual TLS,
 * and closed. Without the gate such a source would only see its connection drop.
 */
final class TlsGate extends ByteToMessageDecoder {
    /** A TLS record header: type, version, length. */
    private static final int RECORD_HEADER = 5;

    private final MutualTls tls;
    private final TargetListener listener;
    private boolean refused;

    TlsGate(MutualTls tls, TargetListener listener) {
        this.tls = tls;
        this.listener = listener;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < RECORD_HEADER) {
            return;
        }
        if (SslHandler.isEncrypted(in, false)) {
            // Removing a decoder hands what it buffered to the handler that replaces it.
            ctx.pipeline().replace(this, "tls", tls.newHandler(ctx.alloc(), null, 0));
            return;
        }
        // Stays in place, swallowing, until the close: nothing sent in the clear may reach the frame decoder.
        refused = true;
        in.skipBytes(in.readableBytes());
        listener.onRefusedConnection(String.valueOf(ctx.channel().remoteAddress()), "the peer does not speak TLS");
        ctx.writeAndFlush(ControlFrames.encode(ctx.alloc(), Protocol.error(ErrorCode.ERROR_CODE_AUTH_FAILED,
                        "this target accepts only sources authenticated with mutual TLS"), Protocol.LIMITS))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
