package io.mtemigrate.incoming;

import com.google.protobuf.ByteString;
import io.mtemigrate.migration.PageBits;
import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.migration.WireForms;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.Complete;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.Ready;
import io.mtemigrate.proto.Released;
import io.mtemigrate.proto.RoundEnd;
import io.mtemigrate.proto.RoundReceived;
import io.mtemigrate.proto.Applied;
import io.mtemigrate.proto.VmLayout;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.mtemigrate.vmsim.InsufficientMemory;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;
import io.netty.channel.Channel;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * One incoming migration: the state machine of DESIGN.md's target steps, shared by the migration's channels.
 * Transitions happen under the session's lock; page batches are applied outside it, each channel by its own
 * event loop, on pages no other channel sends.
 */
final class TargetSession {
    private final ByteString id;
    private final int channelCount;
    private final TargetConfig config;
    private final TargetListener listener;
    private final Consumer<TargetSession> onEnd;
    private final Channel[] channels;
    private final AtomicLong pagesApplied = new AtomicLong();
    /**
     * Page batches are applied under the read lock, each channel on its own thread; discarding the VM and resuming
     * it take the write lock, so neither can happen while a batch is half written (discarding truncates the memory
     * under the mapping).
     */
    private final ReentrantReadWriteLock memoryLock = new ReentrantReadWriteLock();
    private volatile SessionState state = SessionState.ESTABLISHED;
    private MigratableVm machine;
    private PageDigests digests;
    private PageBits[] touched;
    private VcpuSnapshot[] vcpuStates;
    private long[] lastRoundEnded;
    private long roundReceived = -1;
    private long sourceDigestRound = -1;
    private long sourceDigestAtRoundEnd;
    private int roundsWithTornPages;
    private static final long PROGRESS_INTERVAL_NANOS = 250_000_000;
    private final AtomicLong lastProgressNanos = new AtomicLong(System.nanoTime());
    /** The agreed protocol version; RoundReceived exists from version 2 on. */
    private final int protocolVersion;
    private Complete complete;
    private long downtimeStartNanos;
    private ArrivedVm arrived;

    TargetSession(ByteString id, int channelCount, int protocolVersion, TargetConfig config, TargetListener listener,
                  Consumer<TargetSession> onEnd) {
        this.protocolVersion = protocolVersion;
        this.id = id;
        this.channelCount = channelCount;
        this.config = config;
        this.listener = listener;
        this.onEnd = onEnd;
        this.channels = new Channel[channelCount];
        this.lastRoundEnded = new long[channelCount];
        Arrays.fill(lastRoundEnded, -1);
    }

    ByteString id() {
        return id;
    }

    int channelCount() {
        return channelCount;
    }

    SessionState state() {
        return state;
    }

    synchronized void attach(int index, Channel channel) {
        if (index < 0 || index >= channelCount || channels[index] != null) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CHANNEL_MISMATCH, "channel " + index + " of "
                    + channelCount + " is out of range or already connected");
        }
        if (state != SessionState.ESTABLISHED && state != SessionState.RECEIVING) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "channel " + index
                    + " joined in state " + state);
        }
        channels[index] = channel;
    }

    private MigrationAbort outOfOrder(String message) {
        return new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, message + " is not accepted in state " + state);
    }

    /** Channel 0's control messages after the hello. */
    void onControl(ControlMessage message) {
        switch (message.getBodyCase()) {
            case VM_LAYOUT -> onLayout(message.getVmLayout());
            case ROUND_START -> requireState("RoundStart", SessionState.RECEIVING);
            case ROUND_END -> onRoundEnd(0, message.getRoundEnd());
            case VCPU_STATE -> onVcpuState(message.getVcpuState());
            case COMPLETE -> onComplete(message.getComplete());
            case RELEASE -> onRelease();
            case ERROR -> onSourceError(message.getError().getMessage());
            default -> throw outOfOrder(message.getBodyCase().name());
        }
    }

    private synchronized void requireState(String message, SessionState expected) {
        if (state != expected) {
            throw outOfOrder(message);
        }
    }

    private synchronized void onLayout(VmLayout wire) {
        requireState("VmLayout", SessionState.ESTABLISHED);
        MachineLayout layout;
        try {
            layout = WireForms.layout(wire);
        } catch (IllegalArgumentException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "bad VM layout: " + e.getMessage());
        }
        if (config.maxRamBytes() > 0 && layout.ramBytes() > config.maxRamBytes()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_RAM_LIMIT, "the VM has " + layout.ramBytes()
                    + " bytes of RAM; this target accepts at most " + config.maxRamBytes());
        }
        if (!layout.kind().equals(config.vms().kind())) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "the source's VM is a " + layout.kind()
                    + " guest; this target builds " + config.vms().kind() + " guests");
        }
        if (layout.mte() && !config.vms().hostHasMte()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_MTE_UNAVAILABLE, "the VM uses MTE and this host has none");
        }
        try {
            machine = config.vms().create(layout);
        } catch (IllegalArgumentException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "cannot build the VM: " + e.getMessage(), e);
        } catch (InsufficientMemory e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_RAM_LIMIT, e.getMessage(), e);
        }
        digests = new PageDigests(layout);
        touched = layout.slots().stream().map(s -> new PageBits(s.size() / layout.pageSize().bytes()))
                .toArray(PageBits[]::new);
        vcpuStates = new VcpuSnapshot[layout.vcpus()];
        state = SessionState.RECEIVING;
        channels[0].writeAndFlush(ControlMessage.newBuilder()
                .setReady(Ready.newBuilder().setRamBytes(layout.ramBytes())).build());
    }

    PageApplier newApplier() {
        synchronized (this) {
            if (state != SessionState.RECEIVING && state != SessionState.COMPLETING) {
                throw outOfOrder("a page batch");
            }
            return new PageApplier(machine, touched, digests);
        }
    }

    /** Where a checked batch's pages land; refused unless pages are expected now. */
    MemorySegment destinationOf(PageApplier applier, PageBatch batch) {
        SessionState now = state;
        if (now != SessionState.RECEIVING && now != SessionState.COMPLETING) {
            throw outOfOrder("a page batch");
        }
        return applier.destinationOf(batch);
    }

    void onPageBatch(PageApplier applier, PageBatch batch) {
        memoryLock.readLock().lock();
        try {
            SessionState now = state;
            if (now != SessionState.RECEIVING && now != SessionState.COMPLETING) {
                throw outOfOrder("a page batch");
            }
            long applied;
            try {
                applied = pagesApplied.addAndGet(applier.apply(batch));
            } catch (InternalError e) {
                throw memoryFault(e);
            }
            reportProgress(applied);
        } finally {
            memoryLock.readLock().unlock();
        }
    }

    /** A page that could not be backed (SIGBUS on a full tmpfs) fails this migration, not the process. */
    private MigrationAbort memoryFault(InternalError e) {
        String why = config.vms().explainMemoryFault(e).orElseThrow(() -> e);
        return new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, why, e);
    }

    /** Tells a version-2 source, at most every {@link #PROGRESS_INTERVAL_NANOS}, that pages keep landing. */
    private void reportProgress(long applied) {
        long now = System.nanoTime();
        long last = lastProgressNanos.get();
        if (protocolVersion >= 2 && now - last >= PROGRESS_INTERVAL_NANOS && lastProgressNanos.compareAndSet(last, now)) {
            channels[0].writeAndFlush(ControlMessage.newBuilder()
                    .setApplied(Applied.newBuilder().setPagesApplied(applied)).build());
        }
    }

    synchronized void onRoundEnd(int channel, RoundEnd end) {
        if (state != SessionState.RECEIVING && state != SessionState.COMPLETING) {
            throw outOfOrder("RoundEnd");
        }
        if ((long) end.getRound() <= lastRoundEnded[channel]) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "channel " + channel + " ended round "
                    + end.getRound() + " after round " + lastRoundEnded[channel]);
        }
        lastRoundEnded[channel] = end.getRound();
        if (channel == 0 && end.hasRamTagsDigest()) {
            sourceDigestRound = end.getRound();
            sourceDigestAtRoundEnd = end.getRamTagsDigest();
        }
        long everywhere = Arrays.stream(lastRoundEnded).min().orElse(-1);
        if (state == SessionState.RECEIVING && sourceDigestRound >= 0 && everywhere >= sourceDigestRound) {
            // Every page of that round is applied (the source starts the next only after RoundReceived).
            if (digests.digest() != sourceDigestAtRoundEnd) {
                roundsWithTornPages++;
            }
            sourceDigestRound = -1;
        }
        if (protocolVersion >= 2 && state == SessionState.RECEIVING && everywhere > roundReceived) {
            roundReceived = everywhere;
            channels[0].writeAndFlush(ControlMessage.newBuilder()
                    .setRoundReceived(RoundReceived.newBuilder().setRound(everywhere)).build());
        }
        finishIfDrained();
    }

    private synchronized void onVcpuState(io.mtemigrate.proto.VcpuState wire) {
        requireState("VcpuState", SessionState.RECEIVING);
        int id = wire.getVcpuId();
        if (id < 0 || id >= vcpuStates.length) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "state for vCPU " + id + " of a VM with "
                    + vcpuStates.length + " vCPUs");
        }
        vcpuStates[id] = WireForms.vcpuSnapshot(wire);
    }

    private synchronized void onComplete(Complete message) {
        requireState("Complete", SessionState.RECEIVING);
        for (int i = 0; i < vcpuStates.length; i++) {
            if (vcpuStates[i] == null) {
                throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "Complete arrived before vCPU " + i
                        + "'s state");
            }
        }
        complete = message;
        downtimeStartNanos = System.nanoTime();
        state = SessionState.COMPLETING;
        finishIfDrained();
    }

    /** Resumes the guest once Complete is in and every channel has ended the final round. */
    private void finishIfDrained() {
        if (state != SessionState.COMPLETING) {
            return;
        }
        for (long ended : lastRoundEnded) {
            if (ended < complete.getRounds()) {
                return;
            }
        }
        long digest = digests.digest();
        if (digest != complete.getRamTagsDigest()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "RAM+tags digest "
                    + RamDigest.hex(digest) + " of the pages applied here differs from the source's "
                    + RamDigest.hex(complete.getRamTagsDigest()));
        }
        if (config.verifyFullBeforeResume()) {
            long full = VmDigests.ram(machine);
            if (full != digest) {
                throw new MigrationAbort(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "full RAM+tags digest "
                        + RamDigest.hex(full) + " differs from the incremental " + RamDigest.hex(digest));
            }
        }
        try {
            machine.restoreVcpus(Arrays.asList(vcpuStates));
        } catch (IllegalArgumentException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, e.getMessage(), e);
        }
        long vcpuDigest = VmDigests.vcpus(Arrays.asList(vcpuStates));
        if (vcpuDigest != complete.getVcpuStateDigest()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "vCPU state digest differs from the source's");
        }
        try {
            listener.beforeResume(machine.layout());
        } catch (RuntimeException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "the target refused to resume: " + e.getMessage(), e);
        }
        if (!channels[0].isActive()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CANCELLED, "the source went away before the guest resumed");
        }
        memoryLock.writeLock().lock();
        try {
            machine.start();
            state = SessionState.RESUMED;
        } finally {
            memoryLock.writeLock().unlock();
        }
        arrived = new ArrivedVm(machine, digest, vcpuDigest, pagesApplied.get(), complete.getRounds(),
                downtimeStartNanos);
        channels[0].writeAndFlush(ControlMessage.newBuilder().setAck(Ack.newBuilder().setTargetDigest(digest)
                .setTargetVcpuStateDigest(vcpuDigest).setResumed(true).setPagesApplied(pagesApplied.get())
                .setRoundsWithTornPages(roundsWithTornPages)).build());
    }

    /** The source verified the migration and let its copy go: the guest belongs to this host now. */
    private synchronized void onRelease() {
        requireState("Release", SessionState.RESUMED);
        state = SessionState.RELEASED;
        channels[0].writeAndFlush(ControlMessage.newBuilder().setReleased(Released.getDefaultInstance()).build());
        onEnd.accept(this);
        listener.onResumed(arrived);
    }

    /** The source gave up, or revoked the running guest because its own full digest disagreed. */
    private void onSourceError(String reason) {
        abort("the source aborted: " + reason, null);
    }

    /** Discards the partial VM, tells the source (when {@code code} is given) and closes every channel. */
    synchronized void abort(String reason, ErrorCode code) {
        if (state == SessionState.ABORTED || state == SessionState.RELEASED) {
            return;
        }
        MigratableVm discarded;
        memoryLock.writeLock().lock();
        try {
            state = SessionState.ABORTED;
            discarded = machine;
            machine = null;
        } finally {
            memoryLock.writeLock().unlock();
        }
        if (discarded != null) {
            // Sockets read payloads straight into guest memory: release it only once no channel can read again.
            WhenClosed.run(channels, discarded::close);
        }
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

    /** A channel closed: before completion that loses the migration. */
    void channelClosed(int index) {
        SessionState now = state;
        if (now != SessionState.RELEASED && now != SessionState.ABORTED) {
            abort("channel " + index + " closed in state " + now, null);
        }
    }
}
