package io.mtemigrate.incoming;

import io.mtemigrate.proto.Complete;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.PostcopyEnd;

/**
 * Where an incoming migration stands. Each state holds what the next messages need and nothing else, so a message
 * that arrives too early or too late finds no half-set field to trip over: it is refused, naming the state.
 * {@link Receiver#step} is the only way from one state to the next.
 */
sealed interface ReceiverState {
    /** The state's name in refusals; the wire's users (and their tests) know these words. */
    String name();

    /** States in which page batches land in guest memory. */
    sealed interface Landing extends ReceiverState {
        Restore restore();

        Rounds rounds();
    }

    /** Released or aborted: nothing the source sends changes anything any more. */
    sealed interface Ended extends ReceiverState {
    }

    /** Hello accepted on channel 0; expecting the VM layout. */
    record Established() implements ReceiverState {
        @Override
        public String name() {
            return "ESTABLISHED";
        }
    }

    /**
     * The VM is built; pages, round markers and vCPU state flow in.
     *
     * @param toCome per slot, the pages a switch to post-copy will leave to come (PageSets); null until one came
     */
    record Receiving(Restore restore, Rounds rounds, VcpuStates vcpus, long[][] toCome) implements Landing {
        Receiving(Restore restore, Rounds rounds, VcpuStates vcpus) {
            this(restore, rounds, vcpus, null);
        }

        @Override
        public String name() {
            return "RECEIVING";
        }
    }

    /**
     * Complete arrived; waiting for every channel's last round to drain.
     *
     * @param downtimeStartNanos when Complete arrived, by the receiver's clock
     */
    record Completing(Restore restore, Rounds rounds, VcpuStates vcpus, Complete complete, long downtimeStartNanos)
            implements Landing {
        @Override
        public String name() {
            return "COMPLETING";
        }
    }

    /**
     * The guest runs here and the Ack is sent; the source may still revoke it until it sends Release.
     *
     * @param ackedAtNanos when the Ack was sent, by the receiver's clock: the release timeout runs from here
     */
    record Resumed(ArrivedVm arrived, long ackedAtNanos) implements ReceiverState {
        @Override
        public String name() {
            return "RESUMED";
        }
    }

    /**
     * Post-copy: the guest runs here while the pages the source still owes come in, pushed or asked for.
     *
     * @param end             the source's PostcopyEnd once it came (every page sent), null before
     * @param switchedAtNanos when PostcopyStart arrived, by the receiver's clock
     */
    record PostCopying(Restore restore, Rounds rounds, PostcopyLanding landing, long vcpuDigest, PostcopyEnd end,
                       long switchedAtNanos) implements Landing {
        @Override
        public String name() {
            return "POSTCOPY";
        }

        PostCopying withEnd(PostcopyEnd sent) {
            return new PostCopying(restore, rounds, landing, vcpuDigest, sent, switchedAtNanos);
        }
    }

    /**
     * Post-copy with its connections lost: the guest runs on, vCPUs that touch a missing page wait, and the source
     * may reconnect (Hello.recover) until the recovery timeout, when the guest is stopped and discarded.
     *
     * @param lostAtNanos when the connections were lost, by the receiver's clock
     * @param why         what was lost, for the words of a timeout
     */
    record PostcopyPaused(PostCopying copying, long lostAtNanos, String why) implements ReceiverState {
        @Override
        public String name() {
            return "POSTCOPY_PAUSED";
        }
    }

    /** The source released the guest: it is this host's now. */
    record Released() implements Ended {
        @Override
        public String name() {
            return "RELEASED";
        }
    }

    /**
     * Refused or failed; the partial VM is gone.
     *
     * @param code what the source was told; null when it needs no telling (it aborted, or its channel closed)
     * @param in   the name of the state the migration was in when it failed
     */
    record Aborted(String reason, ErrorCode code, String in) implements Ended {
        @Override
        public String name() {
            return "ABORTED";
        }
    }
}
