package io.mtemigrate.incoming;

import io.mtemigrate.migration.WireForms;
import io.mtemigrate.proto.Complete;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.RoundEnd;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.time.Duration;
import java.util.List;

/**
 * A receiver of a two-channel, one-vCPU migration over fake VMs, with a clock the test advances by hand, and the
 * way into each of its states by real steps from the first.
 */
final class ReceiverFixture {
    static final Duration IDLE = Duration.ofSeconds(30);
    static final Duration RELEASE = Duration.ofSeconds(120);
    static final VcpuSnapshot VCPU = new VcpuSnapshot(0, new byte[] {1, 2, 3});

    final FakeVms vms = new FakeVms();
    long nowNanos = 1_000_000_000L;
    boolean sourceConnected = true;
    final Receiver receiver;

    ReceiverFixture() {
        this(TargetConfig.loopback());
    }

    ReceiverFixture(TargetConfig base) {
        this(base, false);
    }

    /** @param postcopy whether the migration's Hello armed post-copy */
    ReceiverFixture(TargetConfig base, boolean postcopy) {
        TargetConfig config = base.withVms(vms).withIdleTimeout(IDLE).withReleaseTimeout(RELEASE)
                .withNanoClock(() -> nowNanos);
        receiver = new Receiver(config, TargetListener.CLOSE_ON_ARRIVAL, 2, 2, () -> sourceConnected, postcopy);
    }

    void advance(Duration by) {
        nowNanos += by.toNanos();
    }

    Step step(ReceiverState state, Input input) {
        return receiver.step(state, input);
    }

    ReceiverState after(ReceiverState state, Input... inputs) {
        for (Input input : inputs) {
            state = step(state, input).next();
        }
        return state;
    }

    ReceiverState state(String name) {
        ReceiverState established = Receiver.initial();
        return switch (name) {
            case "ESTABLISHED" -> established;
            // With the vCPU's state in, so that Complete is accepted.
            case "RECEIVING" -> after(established, control(0, layout()), control(0, vcpuState()));
            // Complete is in, but neither channel has ended round 0 yet.
            case "COMPLETING" -> after(state("RECEIVING"), control(0, complete(0)));
            case "RESUMED" -> after(state("COMPLETING"), control(0, roundEnd(0)), control(1, roundEnd(0)));
            case "RELEASED" -> after(state("RESUMED"), control(0, ControlMessage.newBuilder()
                    .setRelease(io.mtemigrate.proto.Release.getDefaultInstance()).build()));
            case "ABORTED" -> after(state("RECEIVING"), new Input.Failed("a test ended it", null));
            default -> throw new IllegalArgumentException(name);
        };
    }

    static Input.Control control(int channel, ControlMessage message) {
        return new Input.Control(channel, message);
    }

    static MachineLayout machineLayout() {
        return new MachineLayout(PageSize.SIZE_4K, true, List.of(new MachineLayout.Slot(0, 0x4000_0000L, 16 * 4096, 0)),
                1, VcpuFeatures.AARCH64, FakeVms.KIND);
    }

    static ControlMessage layout() {
        return ControlMessage.newBuilder().setVmLayout(WireForms.layout(machineLayout())).build();
    }

    static ControlMessage vcpuState() {
        return ControlMessage.newBuilder().setVcpuState(WireForms.vcpuState(VCPU)).build();
    }

    static ControlMessage roundEnd(int round) {
        return ControlMessage.newBuilder().setRoundEnd(RoundEnd.newBuilder().setRound(round)).build();
    }

    /** Complete for a migration of no pages: the digests of nothing applied and of {@link #VCPU}. */
    static ControlMessage complete(int rounds) {
        long emptyDigest = new io.mtemigrate.migration.PageDigests(machineLayout()).digest();
        return ControlMessage.newBuilder().setComplete(Complete.newBuilder().setRounds(rounds)
                .setRamTagsDigest(emptyDigest).setVcpuStateDigest(VmDigests.vcpus(List.of(VCPU)))).build();
    }
}
