package io.mtemigrate.incoming;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.vmsim.vmm.MigratableVm;

/** What the session does after a step, in the step's order; the step itself only decides. */
sealed interface Effect {
    /** Send this to the source on channel 0. */
    record Reply(ControlMessage message) implements Effect {
    }

    /** Start the guest here; no page may be half-written while it starts. */
    record Resume(MigratableVm vm) implements Effect {
    }

    /** Stop the guest's vCPUs now: it cannot run on (post-copy pages it needs will never come). */
    record StopGuest(MigratableVm vm) implements Effect {
    }

    /** Start reading the guest's page faults and asking the source for those pages. */
    record ServeFaults(PostcopyLanding landing) implements Effect {
    }

    /** Stop reading faults and close the post-copy RAM: every page is in, or the guest is stopped. */
    record EndPostcopy(PostcopyLanding landing) implements Effect {
    }

    /** Close every channel and forget them, keeping the migration for the source to reconnect to. */
    record DropChannels() implements Effect {
    }

    /** Ask the source again, on the new post-copy channel, for every page a vCPU waits for. */
    record RequestAgain(PostcopyLanding landing) implements Effect {
    }

    /** Give the VM's memory back, once no channel can read into it again. */
    record Discard(MigratableVm vm) implements Effect {
    }

    /** End the migration: tell the source why (when {@code code} is given), close every channel, report it. */
    record HangUp(String reason, ErrorCode code) implements Effect {
    }

    /** The source released the guest: hand it to this host's owner. */
    record HandOver(ArrivedVm arrived) implements Effect {
    }
}
