package io.mtemigrate.incoming;

import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.Error;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.Hello;
import io.mtemigrate.proto.Release;
import io.mtemigrate.proto.RoundStart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static io.mtemigrate.incoming.ReceiverFixture.control;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every state of the receiver against every kind of input, without a socket: each pair either leads to the named
 * state or is refused, and a refusal names the state it happened in.
 */
class ReceiverStepTest {
    private static final List<String> STATES = List.of("ESTABLISHED", "RECEIVING", "COMPLETING", "RESUMED",
            "RELEASED", "ABORTED");

    /** One of each kind of input, by the name the table uses. */
    private static final Map<String, Input> INPUTS = inputs();

    private static Map<String, Input> inputs() {
        Map<String, Input> inputs = new LinkedHashMap<>();
        inputs.put("Hello", control(0, ControlMessage.newBuilder().setHello(Hello.getDefaultInstance()).build()));
        inputs.put("VmLayout", control(0, ReceiverFixture.layout()));
        inputs.put("RoundStart", control(0, ControlMessage.newBuilder().setRoundStart(RoundStart.newBuilder()
                .setRound(1)).build()));
        inputs.put("RoundEnd", control(0, ReceiverFixture.roundEnd(0)));
        inputs.put("VcpuState", control(0, ReceiverFixture.vcpuState()));
        inputs.put("Complete", control(0, ReceiverFixture.complete(0)));
        inputs.put("Release", control(0, ControlMessage.newBuilder().setRelease(Release.getDefaultInstance()).build()));
        inputs.put("Error", control(0, ControlMessage.newBuilder().setError(Error.newBuilder()
                .setCode(ErrorCode.ERROR_CODE_CANCELLED).setMessage("the user cancelled")).build()));
        inputs.put("Ack", control(0, ControlMessage.newBuilder().setAck(Ack.getDefaultInstance()).build()));
        inputs.put("data RoundEnd", control(1, ReceiverFixture.roundEnd(0)));
        inputs.put("data VcpuState", control(1, ReceiverFixture.vcpuState()));
        inputs.put("Pages", new Input.Pages(1));
        inputs.put("Join", new Input.Join(1));
        inputs.put("Closed", new Input.Closed(1));
        inputs.put("Failed", new Input.Failed("a frame failed its checksum", ErrorCode.ERROR_CODE_CHECKSUM_MISMATCH));
        inputs.put("Tick", new Input.Tick(0, 1_000_000_000L));
        return inputs;
    }

    /** What a pair must lead to. */
    sealed interface Outcome {
    }

    record Next(String state) implements Outcome {
    }

    record Refused(ErrorCode code, String message) implements Outcome {
    }

    record JoinRefused(String message) implements Outcome {
    }

    private static Outcome to(String state) {
        return new Next(state);
    }

    private static Outcome outOfOrder(String what, String state) {
        return new Refused(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, what + " is not accepted in state " + state);
    }

    /** The table: for each state, what each input leads to; inputs left out of a live state are refused. */
    private static Outcome expected(String state, String input) {
        boolean ended = state.equals("RELEASED") || state.equals("ABORTED");
        if (input.equals("Join")) {
            return state.equals("ESTABLISHED") || state.equals("RECEIVING") ? to(state)
                    : new JoinRefused("channel 1 joined in state " + state);
        }
        if (ended) {
            return to(state);
        }
        Function<String, Outcome> accepted = switch (state) {
            case "ESTABLISHED" -> in -> in.equals("VmLayout") ? to("RECEIVING") : null;
            case "RECEIVING" -> in -> switch (in) {
                case "RoundStart", "RoundEnd", "VcpuState", "data RoundEnd", "Pages" -> to("RECEIVING");
                case "Complete" -> to("COMPLETING");
                default -> null;
            };
            case "COMPLETING" -> in -> switch (in) {
                // One channel's end of the final round is not yet every channel's.
                case "RoundEnd", "data RoundEnd", "Pages" -> to("COMPLETING");
                default -> null;
            };
            case "RESUMED" -> in -> in.equals("Release") ? to("RELEASED") : null;
            default -> throw new IllegalArgumentException(state);
        };
        Outcome outcome = accepted.apply(input);
        if (outcome != null) {
            return outcome;
        }
        return switch (input) {
            case "Tick" -> to(state);
            case "Error" -> new Refused(null, "the source aborted: the user cancelled");
            case "Closed" -> new Refused(null, "channel 1 closed in state " + state);
            case "Failed" -> new Refused(ErrorCode.ERROR_CODE_CHECKSUM_MISMATCH, "a frame failed its checksum");
            case "data VcpuState" -> new Refused(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION,
                    "VCPU_STATE on data channel 1, which carries only pages and round ends");
            case "Pages" -> outOfOrder("a page batch", state);
            case "Hello" -> outOfOrder("HELLO", state);
            case "Ack" -> outOfOrder("ACK", state);
            case "data RoundEnd" -> outOfOrder("RoundEnd", state);
            default -> outOfOrder(input, state);
        };
    }

    static Stream<Arguments> table() {
        List<Arguments> rows = new ArrayList<>();
        for (String state : STATES) {
            for (String input : INPUTS.keySet()) {
                rows.add(Arguments.of(state, input, expected(state, input)));
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} + {1} -> {2}")
    @MethodSource("table")
    void shouldLeadToTheNamedStateOrRefuseNamingTheState(String stateName, String inputName, Outcome outcome) {
        ReceiverFixture fixture = new ReceiverFixture();
        ReceiverState state = fixture.state(stateName);
        assertEquals(stateName, state.name(), "the fixture reached the state the row names");
        Step step = fixture.step(state, INPUTS.get(inputName));
        switch (outcome) {
            case Next next -> {
                assertEquals(next.state(), step.next().name(), () -> "effects: " + step.effects());
                assertNull(step.refusedJoin());
                assertTrue(step.effects().stream().noneMatch(e -> e instanceof Effect.HangUp
                        || e instanceof Effect.Discard), () -> "an accepted input ends nothing: " + step.effects());
            }
            case Refused refused -> {
                ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class, step.next());
                assertEquals(stateName, aborted.in());
                assertEquals(refused.code(), aborted.code());
                assertTrue(aborted.reason().contains(refused.message()), aborted.reason());
                Effect.HangUp hangUp = assertInstanceOf(Effect.HangUp.class, step.effects().getLast());
                assertEquals(aborted.reason(), hangUp.reason());
                assertEquals(refused.code(), hangUp.code());
                boolean holdsVm = !stateName.equals("ESTABLISHED");
                assertEquals(holdsVm, step.effects().stream().anyMatch(Effect.Discard.class::isInstance),
                        "the VM is discarded exactly when the state holds one: " + step.effects());
            }
            case JoinRefused refused -> {
                assertSame(state, step.next(), "a refused channel leaves the migration as it was");
                assertTrue(step.effects().isEmpty());
                assertNotNull(step.refusedJoin());
                assertEquals(refused.message(), step.refusedJoin().getMessage());
            }
        }
    }

    @Test
    void shouldCoverEveryStateAndEveryInput() {
        assertEquals(6 * 16, table().count());
    }
}
