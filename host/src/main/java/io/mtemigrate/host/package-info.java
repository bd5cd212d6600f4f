/**
 * A long-running host ({@code mte-migrate host}): {@link io.mtemigrate.host.Host} holds VMs booted on request or
 * arrived by migration, sends them on to other hosts, and serves the gRPC control API of {@code host.proto} and
 * Prometheus metrics. A VM's origin (its resolved guest spec, id and hops) travels in the migration's layout, so
 * that after any number of hops a host can tell whether it ends where the same guest ends without migrations.
 */
package io.mtemigrate.host;
