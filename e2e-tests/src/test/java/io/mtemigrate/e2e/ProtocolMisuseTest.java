package io.mtemigrate.e2e;

import com.google.protobuf.ByteString;
import io.mtemigrate.migration.WireForms;
import io.mtemigrate.proto.Capabilities;
import io.mtemigrate.proto.Complete;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.handshake.VersionNegotiator;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.Hello;
import io.mtemigrate.proto.VmLayout;
import io.mtemigrate.tagstream.frame.EncoderConfig;
import io.mtemigrate.tagstream.frame.PageBatchEncoder;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.machine.VcpuStateCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A source that breaks the protocol: each misuse is refused with a specific error, the migration is aborted,
 * and the target is left with no VM and keeps accepting migrations.
 */
class ProtocolMisuseTest {
    private static final long RAM = 1L << 20;
    private LoopbackTarget target;

    @BeforeEach
    void startTarget() throws InterruptedException {
        target = new LoopbackTarget();
    }

    @AfterEach
    void stopTarget() {
        target.close();
    }

    private static ControlMessage hello(int version, int pageSize) {
        return ControlMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(version).addAcceptedVersions(version)
                .setCapabilities(Capabilities.newBuilder().setMte(true).setPageSize(pageSize))
                .setChannelCount(1).setChannelIndex(0).setSessionId(ByteString.copyFromUtf8("misuse"))).build();
    }

    private static ControlMessage layout(boolean mte, VcpuFeatures features) {
        VmLayout wire = WireForms.layout(new MachineLayout(PageSize.SIZE_4K, mte,
                List.of(new MachineLayout.Slot(0, 0x4000_0000L, RAM, 0)), 1, features));
        return ControlMessage.newBuilder().setVmLayout(wire).build();
    }

    /** Reads answers until an Error and checks it; then the target must close and be clean. */
    private void assertRefused(RawTargetClient client, ErrorCode code, String inMessage) throws Exception {
        while (true) {
            Object answer = client.next();
            assertTrue(!RawTargetClient.CLOSED.equals(answer), "closed without an error");
            ControlMessage message = assertInstanceOf(ControlMessage.class, answer);
            if (message.hasError()) {
                assertEquals(code, message.getError().getCode(), message.getError().getMessage());
                assertTrue(message.getError().getMessage().contains(inMessage), message.getError().getMessage());
                break;
            }
        }
        assertEquals(RawTargetClient.CLOSED, client.next());
        await().atMost(Duration.ofSeconds(10)).until(() -> target.server.activeMigrations() == 0);
        assertTrue(target.arrived.isEmpty());
    }

    private RawTargetClient connected() throws Exception {
        return connected(VersionNegotiator.CURRENT);
    }

    private RawTargetClient connected(int version) throws Exception {
        RawTargetClient client = new RawTargetClient(target.address());
        client.send(hello(version, 4096));
        ControlMessage accept = (ControlMessage) client.next();
        assertTrue(accept.hasHelloAccept());
        assertEquals(version, accept.getHelloAccept().getProtocolVersion());
        return client;
    }

    private RawTargetClient ready(boolean mte) throws Exception {
        return ready(mte, VersionNegotiator.CURRENT);
    }

    private RawTargetClient ready(boolean mte, int version) throws Exception {
        RawTargetClient client = connected(version);
        client.send(layout(mte, VcpuFeatures.AARCH64));
        assertTrue(((ControlMessage) client.next()).hasReady());
        return client;
    }

    private static io.netty.buffer.ByteBuf pages(RawTargetClient client, int slot, long firstPage, int count, int pageSize) {
        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults())) {
            ByteBuffer data = ByteBuffer.allocateDirect(count * pageSize);
            data.put(0, (byte) 1);
            return encoder.encode(client.alloc(), slot, 0, firstPage, count, pageSize, data, 0,
                    ByteBuffer.allocateDirect(count * pageSize / 16), 0);
        }
    }

    @Test
    void shouldRefuseAPageBatchBeforeTheHello() throws Exception {
        try (RawTargetClient client = new RawTargetClient(target.address())) {
            client.send(pages(client, 0, 0, 1, 4096));
            assertRefused(client, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "first message must be Hello");
        }
    }

    @Test
    void shouldRefuseAnUnsupportedVersionNamingBothVersions() throws Exception {
        try (RawTargetClient client = new RawTargetClient(target.address())) {
            client.send(hello(99, 4096));
            assertRefused(client, ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION, "99");
        }
    }

    @Test
    void shouldRefuseADuplicateHello() throws Exception {
        try (RawTargetClient client = connected()) {
            client.send(hello(1, 4096));
            assertRefused(client, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "HELLO is not accepted in state ESTABLISHED");
        }
    }

    @Test
    void shouldRefuseCompleteBeforeTheLayout() throws Exception {
        try (RawTargetClient client = connected()) {
            client.send(ControlMessage.newBuilder().setComplete(Complete.getDefaultInstance()).build());
            assertRefused(client, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "Complete is not accepted in state ESTABLISHED");
        }
    }

    @Test
    void shouldRefusePagesForASlotThatDoesNotExist() throws Exception {
        try (RawTargetClient client = ready(true)) {
            client.send(pages(client, 7, 0, 1, 4096));
            assertRefused(client, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "memslot 7");
        }
    }

    @Test
    void shouldRefusePagesBeyondTheEndOfTheSlot() throws Exception {
        try (RawTargetClient client = ready(true)) {
            client.send(pages(client, 0, RAM / 4096 - 1, 2, 4096));
            assertRefused(client, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "beyond slot 0");
        }
    }

    @Test
    void shouldRefusePagesOfAPageSizeThatWasNotNegotiated() throws Exception {
        try (RawTargetClient client = ready(true)) {
            client.send(pages(client, 0, 0, 1, 16384));
            assertRefused(client, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "16384-byte pages");
        }
    }

    @Test
    void shouldRefuseAnAarch32VcpuOnAnMteVm() throws Exception {
        try (RawTargetClient client = connected()) {
            client.send(layout(true, VcpuFeatures.AARCH32));
            assertRefused(client, ErrorCode.ERROR_CODE_VM_ERROR, "AArch32");
        }
    }

    @Test
    void shouldRefuseVcpuStateWithoutTheMteRegistersOnAnMteVm() throws Exception {
        try (RawTargetClient client = ready(true)) {
            VcpuState state = new VcpuState(new long[31], 0, 0, 0, 0, 0, 0, null);
            client.send(ControlMessage.newBuilder().setVcpuState(WireForms.vcpuState(VcpuStateCodec.encode(0, state)))
                    .build());
            client.send(ControlMessage.newBuilder().setRoundEnd(io.mtemigrate.proto.RoundEnd.newBuilder().setRound(0)).build());
            assertTrue(((ControlMessage) client.next()).hasRoundReceived());
            // No page was sent: the empty digest is 0 on both sides, so only the vCPU state can be refused.
            client.send(ControlMessage.newBuilder().setComplete(Complete.newBuilder().setRamTagsDigest(0)).build());
            assertRefused(client, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "lacks MTE system registers");
        }
    }

    @Test
    void shouldRefuseVcpuStateOfAnotherBackend() throws Exception {
        try (RawTargetClient client = ready(true)) {
            client.send(ControlMessage.newBuilder().setVcpuState(io.mtemigrate.proto.VcpuState.newBuilder()
                    .setVcpuId(0).setState(ByteString.copyFrom(new byte[336]))).build());
            client.send(ControlMessage.newBuilder().setRoundEnd(io.mtemigrate.proto.RoundEnd.newBuilder().setRound(0)).build());
            assertTrue(((ControlMessage) client.next()).hasRoundReceived());
            client.send(ControlMessage.newBuilder().setComplete(Complete.newBuilder().setRamTagsDigest(0)).build());
            assertRefused(client, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "not an emulator arm64 snapshot");
        }
    }

    @Test
    void shouldRefuseALayoutOfAnotherBackendBeforeAnyPageMoves() throws Exception {
        try (RawTargetClient client = connected()) {
            client.send(layout(true, VcpuFeatures.AARCH64).toBuilder()
                    .setVmLayout(layout(true, VcpuFeatures.AARCH64).getVmLayout().toBuilder()
                            .setBackend("kvm").setArchitecture("x86_64")).build());
            assertRefused(client, ErrorCode.ERROR_CODE_VM_ERROR,
                    "the source's VM is a kvm (x86_64) guest; this target builds emu (aarch64) guests");
        }
    }

    @Test
    void shouldRefuseAVersionTwoSourceWhoseFramesDiffer() throws Exception {
        // Version 2 put page data inside each frame's CRC; this framing cannot be its previous version.
        try (RawTargetClient client = new RawTargetClient(target.address())) {
            client.send(hello(2, 4096));
            assertRefused(client, ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION, "accepts [3]");
        }
    }

    @Test
    void shouldRefuseACompleteWhoseDigestDisagreesAndKeepAcceptingMigrations() throws Exception {
        try (RawTargetClient client = ready(true)) {
            VcpuState state = new VcpuState(new long[31], 0, 0, 0, 0, 0, 0,
                    new io.mtemigrate.vmsim.MteSysRegs(1, 0, 0, 0));
            client.send(ControlMessage.newBuilder().setVcpuState(WireForms.vcpuState(VcpuStateCodec.encode(0, state)))
                    .build());
            client.send(ControlMessage.newBuilder().setRoundEnd(io.mtemigrate.proto.RoundEnd.newBuilder().setRound(0)).build());
            ControlMessage received = (ControlMessage) client.next();
            assertTrue(received.hasRoundReceived() && received.getRoundReceived().getRound() == 0,
                    "the target confirms the round: " + received);
            client.send(ControlMessage.newBuilder().setComplete(Complete.newBuilder().setRamTagsDigest(42)).build());
            assertRefused(client, ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "differs from the source's");
        }
        try (RawTargetClient client = connected()) {
            client.send(layout(true, VcpuFeatures.AARCH64));
            assertTrue(((ControlMessage) client.next()).hasReady(), "the target accepts the next migration");
        }
    }
}
