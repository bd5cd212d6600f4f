package io.mtemigrate.incoming;

/**
 * One channel's appliers: pre-copy's, which lands pages in guest memory, and post-copy's, which stages them for an
 * install with their tags. Each is made when the channel's first batch of its kind comes; the channel's event loop
 * alone uses them.
 */
final class ChannelPages {
    private PageApplier precopy;
    private PostcopyApplier postcopy;

    PageApplier precopy(ReceiverState.Landing landing) {
        if (precopy == null) {
            precopy = landing.restore().newApplier();
        }
        return precopy;
    }

    PostcopyApplier postcopy(ReceiverState.PostCopying copying, TargetConfig config) {
        if (postcopy == null) {
            postcopy = new PostcopyApplier(copying.restore().vm(), copying.landing(), copying.restore().digests(),
                    config.nanoClock());
        }
        return postcopy;
    }
}
