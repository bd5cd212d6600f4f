package io.mtemigrate.host;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mtemigrate.proto.CreateVmRequest;
import io.mtemigrate.proto.DescribeVmRequest;
import io.mtemigrate.proto.HostGrpc;
import io.mtemigrate.proto.ListVmsRequest;
import io.mtemigrate.proto.ListVmsResponse;
import io.mtemigrate.proto.MigrationEvent;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationRequest;
import io.mtemigrate.proto.SetMigrationLimitsRequest;
import io.mtemigrate.proto.StartMigrationRequest;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmRequest;

/** The gRPC face of {@link Vms}: each call answers, or fails with the status and message of its refusal. */
final class HostService extends HostGrpc.HostImplBase {
    private final Vms vms;

    HostService(Vms vms) {
        this.vms = vms;
    }

    private interface Call<T> {
        T get() throws InterruptedException;
    }

    private static <T> void answer(StreamObserver<T> observer, Call<T> call) {
        T reply;
        try {
            reply = call.get();
        } catch (ApiException e) {
            observer.onError(e.toStatus());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            observer.onError(Status.CANCELLED.withDescription("the host is shutting down").asRuntimeException());
            return;
        } catch (RuntimeException e) {
            observer.onError(Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
            return;
        }
        observer.onNext(reply);
        observer.onCompleted();
    }

    @Override
    public void createVm(CreateVmRequest request, StreamObserver<VmInfo> observer) {
        answer(observer, () -> vms.create(request));
    }

    @Override
    public void listVms(ListVmsRequest request, StreamObserver<ListVmsResponse> observer) {
        answer(observer, () -> ListVmsResponse.newBuilder().addAllVms(vms.list()).build());
    }

    @Override
    public void describeVm(DescribeVmRequest request, StreamObserver<VmInfo> observer) {
        answer(observer, () -> vms.describe(request.getVmId(), request.getDigests()));
    }

    @Override
    public void startMigration(StartMigrationRequest request, StreamObserver<MigrationInfo> observer) {
        answer(observer, () -> vms.startMigration(request));
    }

    @Override
    public void describeMigration(MigrationRequest request, StreamObserver<MigrationInfo> observer) {
        answer(observer, () -> vms.migration(request.getMigrationId()).info());
    }

    @Override
    public void watchMigration(MigrationRequest request, StreamObserver<MigrationEvent> observer) {
        OutgoingMigration migration;
        try {
            migration = vms.migration(request.getMigrationId());
        } catch (ApiException e) {
            observer.onError(e.toStatus());
            return;
        }
        ServerCallStreamObserver<MigrationEvent> call = (ServerCallStreamObserver<MigrationEvent>) observer;
        Object lock = new Object();
        Runnable stop = migration.watch(event -> {
            synchronized (lock) {
                if (call.isCancelled()) {
                    return;
                }
                call.onNext(event);
                if (event.hasFinished()) {
                    call.onCompleted();
                }
            }
        });
        call.setOnCancelHandler(stop);
    }

    @Override
    public void setMigrationLimits(SetMigrationLimitsRequest request, StreamObserver<MigrationInfo> observer) {
        answer(observer, () -> vms.migration(request.getMigrationId()).setLimits(
                request.hasDowntimeMs() ? request.getDowntimeMs() : null,
                request.hasMaxBandwidth() ? request.getMaxBandwidth() : null, request.getStartPostcopy()));
    }

    @Override
    public void cancelMigration(MigrationRequest request, StreamObserver<MigrationInfo> observer) {
        answer(observer, () -> vms.migration(request.getMigrationId()).cancel());
    }

    @Override
    public void pauseVm(VmRequest request, StreamObserver<VmInfo> observer) {
        answer(observer, () -> vms.pause(request.getVmId()));
    }

    @Override
    public void resumeVm(VmRequest request, StreamObserver<VmInfo> observer) {
        answer(observer, () -> vms.resume(request.getVmId()));
    }

    @Override
    public void destroyVm(VmRequest request, StreamObserver<VmInfo> observer) {
        answer(observer, () -> vms.destroy(request.getVmId()));
    }
}
