package io.mtemigrate.source;

import io.mtemigrate.proto.ControlMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import javax.net.ssl.SSLException;

/** Hands what the target sends on one channel to the link; the target sends only control messages. */
final class SourceChannelHandler extends ChannelInboundHandlerAdapter {
    private final TargetLink link;
    private final int index;

    SourceChannelHandler(TargetLink link, int index) {
        this.link = link;
        this.index = index;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof ControlMessage control) {
                link.received(control);
            } else {
                link.failed(MigrationFailure.failed("the target sent page data on channel " + index));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (HangUp.is(cause)) {
            link.failed(MigrationFailure.failed("the target closed channel " + index, cause));
            ctx.close();
            return;
        }
        String why = cause instanceof SSLException || cause.getCause() instanceof SSLException
                ? "TLS with the target failed: " + TlsHandshake.describe(cause) : cause.getMessage();
        link.failed(MigrationFailure.failed("channel " + index + " failed: " + why, cause));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        link.failed(MigrationFailure.failed("the target closed channel " + index));
    }
}
