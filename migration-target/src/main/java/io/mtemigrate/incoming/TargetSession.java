package io.mtemigrate.incoming;

import com.google.protobuf.ByteString;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.Applied;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.PageRequest;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.mtemigrate.vmsim.vmm.MissingPage;
import io.netty.channel.Channel;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * One incoming migration, shared by its channels: it feeds what happens to the {@link Receiver}, one step at a
 * time under the session's lock, and performs the effects each step asks for. Page batches are applied outside
 * that lock, each channel by its own event loop, on pages no other channel sends.
 */
final class TargetSession {
    private static final long PROGRESS_INTERVAL_NANOS = 250_000_000;

    private final ByteString id;
    private final int channelCount;
    private final TargetConfig config;
    private final TargetListener listener;
    private final Consumer<TargetSession> onEnd;
    private final Channel[] channels;
    private final Receiver receiver;
    /**
     * Page batches are applied under the read lock, each channel on its own thread; the step that discards the VM
     * or resumes it takes the write lock, so neither can happen while a batch is half written (discarding
     * truncates the memory under the mapping).
     */
    private final ReentrantReadWriteLock memoryLock = new ReentrantReadWriteLock();
    private volatile ReceiverState state = Receiver.initial();
    private final AtomicLong lastProgressNanos;
    /** The agreed protocol version; Applied exists from version 2 on. */
    private final int protocolVersion;

    /** The post-copy channel's index, after the data channels; -1 when the migration is not armed for post-copy. */
    private final int postcopyChannel;
    private volatile FaultServer faultServer;

    TargetSession(ByteString id, int channelCount, int protocolVersion, boolean postcopy, TargetConfig config,
                  TargetListener listener, Consumer<TargetSession> onEnd) {
        this.protocolVersion = protocolVersion;
        this.id = id;
        this.channelCount = channelCount + (postcopy ? 1 : 0);
        this.postcopyChannel = postcopy ? channelCount : -1;
        this.config = config;
        this.listener = listener;
        this.onEnd = onEnd;
        this.channels = new Channel[this.channelCount];
        this.receiver = new Receiver(config, listener, channelCount, protocolVersion,
                () -> channels[0] != null && channels[0].isActive(), postcopy);
        this.lastProgressNanos = new AtomicLong(config.nanoClock().getAsLong());
    }

    ByteString id() {
        return id;
    }

    int channelCount() {
        return channelCount;
    }

    ReceiverState state() {
        return state;
    }

    /**
     * Joins a channel to the migration. A recovering channel 0 of a post-copy that has not noticed its loss yet
     * (a silent cut) tells it: the old connections are dead.
     */
    synchronized void attach(int index, Channel channel, boolean recover) {
        if (recover && index == 0 && state instanceof ReceiverState.PostCopying) {
            advance(new Input.Closed(-1));
        }
        if (recover != state instanceof ReceiverState.PostcopyPaused) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CHANNEL_MISMATCH, recover
                    ? "a recovering channel for a migration in state " + state.name()
                    : "channel " + index + " joined a post-copy waiting for its source to reconnect");
        }
        if (index < 0 || index >= channelCount || channels[index] != null) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CHANNEL_MISMATCH, "channel " + index + " of "
                    + channelCount + " is out of range or already connected");
        }
        Step step = receiver.step(state, new Input.Join(index));
        if (step.refusedJoin() != null) {
            throw step.refusedJoin();
        }
        channels[index] = channel;
    }

    /** Whether {@code channel} is the one joined at {@code index}: a dropped connection's late events count for nothing. */
    synchronized boolean isAttached(int index, Channel channel) {
        return index >= 0 && index < channels.length && channels[index] == channel;
    }

    /** A control message on {@code channel} after its Hello. */
    void onControl(int channel, ControlMessage message) {
        advance(new Input.Control(channel, message));
    }

    /** Time passed on {@code channel}, which last read something at {@code lastHeardNanos}. */
    void tick(int channel, long lastHeardNanos) {
        advance(new Input.Tick(channel, lastHeardNanos));
    }

    /** Discards the partial VM, tells the source (when {@code code} is given) and closes every channel. */
    void abort(String reason, ErrorCode code) {
        advance(new Input.Failed(reason, code));
    }

    /** A channel closed: before the release that loses the migration. */
    void channelClosed(int index) {
        advance(new Input.Closed(index));
    }

    private synchronized void advance(Input input) {
        perform(receiver.step(state, input));
    }

    private void perform(Step step) {
        boolean touchesMemory = step.effects().stream()
                .anyMatch(e -> e instanceof Effect.Resume || e instanceof Effect.Discard || e instanceof Effect.StopGuest);
        if (touchesMemory) {
            memoryLock.writeLock().lock();
            try {
                for (Effect effect : step.effects()) {
                    if (effect instanceof Effect.Resume resume) {
                        resume.vm().start();
                    } else if (effect instanceof Effect.StopGuest stop) {
                        stop.vm().pauseVcpus();
                    }
                }
                // A guest that failed to start stays in the state before, whose abort discards it.
                state = step.next();
            } finally {
                memoryLock.writeLock().unlock();
            }
        } else {
            state = step.next();
        }
        for (Effect effect : step.effects()) {
            switch (effect) {
                case Effect.Reply reply -> channels[0].writeAndFlush(reply.message());
                case Effect.Resume ignored -> {
                }
                case Effect.StopGuest ignored -> {
                }
                case Effect.ServeFaults serve -> faultServer = FaultServer.start(serve.landing(), this::requestPage,
                        this::postcopyTick, reason -> abort(reason, ErrorCode.ERROR_CODE_VM_ERROR), config.nanoClock());
                case Effect.DropChannels ignored -> {
                    for (int i = 0; i < channels.length; i++) {
                        if (channels[i] != null) {
                            channels[i].close();
                            channels[i] = null;
                        }
                    }
                }
                case Effect.RequestAgain again -> again.landing().faults().waiting().forEach(this::requestPage);
                case Effect.EndPostcopy end -> {
                    FaultServer server = faultServer;
                    if (server != null) {
                        server.close();
                    }
                    end.landing().close();
                }
                // Sockets read payloads straight into guest memory: release it only once no channel can read again.
                case Effect.Discard discard -> WhenClosed.run(channels, discard.vm()::close);
                case Effect.HangUp hangUp -> hangUp(hangUp.reason(), hangUp.code());
                case Effect.HandOver handOver -> {
                    onEnd.accept(this);
                    listener.onResumed(handOver.arrived());
                }
            }
        }
    }

    private void hangUp(String reason, ErrorCode code) {
        for (Channel channel : channels) {
            if (channel == null) {
                continue;
            }
            if (code != null && channel == channels[0] && channel.isActive()) {
                channel.writeAndFlush(Protocol.error(code, reason)).addListener(f -> channel.close());
            } else {
                channel.close();
            }
        }
        onEnd.accept(this);
        listener.onFailed(reason);
    }

    /** A vCPU waits for this page: ask the source on the post-copy channel (a lost channel is asked again on recovery). */
    private void requestPage(MissingPage page) {
        Channel channel = channels[postcopyChannel];
        if (channel != null && channel.isActive()) {
            channel.writeAndFlush(ControlMessage.newBuilder().setPageRequest(PageRequest.newBuilder()
                    .setSlotIndex(page.slotIndex()).setFirstPage(page.page()).setPages(1)).build());
        }
    }

    private void postcopyTick() {
        advance(new Input.Tick(-1, config.nanoClock().getAsLong()));
    }

    /** Where a checked batch's pages land; refused unless pages are expected now. */
    MemorySegment destinationOf(ChannelPages pages, PageBatch batch) {
        ReceiverState now = state;
        if (now instanceof ReceiverState.PostCopying copying) {
            return pages.postcopy(copying, config).destinationOf(batch);
        }
        if (!(now instanceof ReceiverState.Landing landing)) {
            throw MigrationAbort.outOfOrder("a page batch", now);
        }
        return pages.precopy(landing).destinationOf(batch);
    }

    void onPageBatch(ChannelPages pages, PageBatch batch) {
        boolean lastPage = false;
        memoryLock.readLock().lock();
        try {
            ReceiverState now = state;
            if (!(now instanceof ReceiverState.Landing landing)) {
                throw MigrationAbort.outOfOrder("a page batch", now);
            }
            long applied;
            try {
                if (now instanceof ReceiverState.PostCopying copying) {
                    lastPage = pages.postcopy(copying, config).apply(batch);
                    applied = landing.restore().pagesApplied().addAndGet(batch.pageCount());
                } else {
                    applied = landing.restore().pagesApplied().addAndGet(pages.precopy(landing).apply(batch));
                }
            } catch (InternalError e) {
                throw memoryFault(e);
            }
            reportProgress(applied);
        } finally {
            memoryLock.readLock().unlock();
        }
        if (lastPage) {
            advance(new Input.AllArrived());
        }
    }

    /** A page that could not be backed (SIGBUS on a full tmpfs) fails this migration, not the process. */
    private MigrationAbort memoryFault(InternalError e) {
        String why = config.vms().explainMemoryFault(e).orElseThrow(() -> e);
        return new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, why, e);
    }

    /** Tells a version-2 source, at most every {@link #PROGRESS_INTERVAL_NANOS}, that pages keep landing. */
    private void reportProgress(long applied) {
        long now = config.nanoClock().getAsLong();
        long last = lastProgressNanos.get();
        if (protocolVersion >= 2 && now - last >= PROGRESS_INTERVAL_NANOS && lastProgressNanos.compareAndSet(last, now)) {
            channels[0].writeAndFlush(ControlMessage.newBuilder()
                    .setApplied(Applied.newBuilder().setPagesApplied(applied)).build());
        }
    }
}
