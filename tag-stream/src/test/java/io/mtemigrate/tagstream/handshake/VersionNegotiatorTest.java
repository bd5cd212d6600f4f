package io.mtemigrate.tagstream.handshake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mtemigrate.proto.Hello;
import io.mtemigrate.tagstream.handshake.VersionNegotiator.UnsupportedVersionException;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionNegotiatorTest {

    private final VersionNegotiator receiver = new VersionNegotiator(5);

    @Test
    void shouldAcceptItsOwnVersion() throws Exception {
        assertEquals(5, receiver.negotiate(hello(5, 5, 4)));
    }

    @Test
    void shouldAcceptThePreviousVersion() throws Exception {
        assertEquals(4, receiver.negotiate(hello(4, 4, 3)));
    }

    @Test
    void shouldSpeakItsOwnVersionToANewerPeerThatAcceptsIt() throws Exception {
        assertEquals(5, receiver.negotiate(hello(6, 6, 5)));
    }

    @Test
    void shouldTakeThePeersVersionAloneWhenItListsNone() throws Exception {
        assertEquals(4, receiver.negotiate(Hello.newBuilder().setProtocolVersion(4).build()));
    }

    @Test
    void shouldRefuseAnOlderVersionNamingBothVersions() {
        UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class,
                () -> receiver.negotiate(hello(3, 3, 2)));

        assertTrue(e.getMessage().contains("peer speaks protocol version 3"), e.getMessage());
        assertTrue(e.getMessage().contains("this side speaks 5"), e.getMessage());
        assertEquals(3, e.peerVersion());
        assertEquals(5, e.ownVersion());
    }

    @Test
    void shouldRefuseANewerPeerThatDroppedThisVersion() {
        assertThrows(UnsupportedVersionException.class, () -> receiver.negotiate(hello(7, 7, 6)));
    }

    @Test
    void shouldListOnlyItsOwnVersionWhenItIsTheFirst() {
        assertEquals(List.of(1), new VersionNegotiator(1).acceptedVersions());
        assertEquals(List.of(5, 4), receiver.acceptedVersions());
    }

    @Test
    void shouldNotOfferAPreviousVersionThatFramesDifferently() throws Exception {
        VersionNegotiator current = new VersionNegotiator();

        assertEquals(List.of(VersionNegotiator.CURRENT), current.acceptedVersions());
        assertThrows(UnsupportedVersionException.class, () -> current.negotiate(hello(2, 2, 1)));
        assertEquals(VersionNegotiator.CURRENT, current.negotiate(hello(VersionNegotiator.CURRENT + 1,
                VersionNegotiator.CURRENT + 1, VersionNegotiator.CURRENT)));
    }

    private static Hello hello(int version, Integer... accepts) {
        return Hello.newBuilder().setProtocolVersion(version).addAllAcceptedVersions(List.of(accepts)).build();
    }
}
