package io.mtemigrate.tagstream.handshake;

import io.mtemigrate.proto.Hello;
import java.util.List;

/**
 * The receiver's side of protocol version negotiation: it speaks its own version and the one
 * before, and picks the highest version the peer also accepts. Anything else is refused with a
 * message naming both sides' versions, before any page moves.
 */
public final class VersionNegotiator {

    /**
     * The protocol version of this build. Raise it with every incompatible change to the control messages.
     * 2: the target confirms each round with RoundReceived, and a version-2 source waits for it.
     * 3: frame format 2 (a batch's page data follows its CRC); a version-2 peer frames differently, so its very
     * first frame is refused as frame format 1 before this negotiation could run.
     */
    public static final int CURRENT = 3;
    /** The oldest version frame format 2 carries: a peer of an older one cannot be the previous version. */
    public static final int OLDEST_IN_THIS_FRAMING = 3;

    private final int own;

    public VersionNegotiator() {
        this(CURRENT);
    }

    /** For tests and for tools that emulate an older peer. */
    public VersionNegotiator(int ownVersion) {
        if (ownVersion < 1) {
            throw new IllegalArgumentException("protocol versions start at 1, got " + ownVersion);
        }
        this.own = ownVersion;
    }

    /** Versions this side speaks, newest first: its own and, if it frames the same way, the previous. */
    public List<Integer> acceptedVersions() {
        return own > 1 && own - 1 >= Math.min(own, OLDEST_IN_THIS_FRAMING) ? List.of(own, own - 1) : List.of(own);
    }

    /**
     * The version to speak with the peer that sent {@code hello}.
     *
     * @throws UnsupportedVersionException naming the peer's and this side's versions
     */
    public int negotiate(Hello hello) throws UnsupportedVersionException {
        int peer = hello.getProtocolVersion();
        List<Integer> peerAccepts = hello.getAcceptedVersionsCount() > 0 ? hello.getAcceptedVersionsList() : List.of(peer);
        for (int candidate : acceptedVersions()) {
            if (peerAccepts.contains(candidate)) {
                return candidate;
            }
        }
        throw new UnsupportedVersionException(peer, peerAccepts, own, acceptedVersions());
    }

    /** A peer that shares no protocol version with this side. */
    public static final class UnsupportedVersionException extends Exception {
        private final int peerVersion;
        private final int ownVersion;

        UnsupportedVersionException(int peerVersion, List<Integer> peerAccepts, int ownVersion, List<Integer> ownAccepts) {
            super("peer speaks protocol version " + peerVersion + " (accepts " + peerAccepts + "), this side speaks "
                    + ownVersion + " (accepts " + ownAccepts + "); upgrade the older side");
            this.peerVersion = peerVersion;
            this.ownVersion = ownVersion;
        }

        public int peerVersion() {
            return peerVersion;
        }

        public int ownVersion() {
            return ownVersion;
        }
    }
}
