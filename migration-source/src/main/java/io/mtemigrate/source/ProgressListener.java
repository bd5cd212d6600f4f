package io.mtemigrate.source;

/** Told about a migration as it goes: at each phase change and a few times a second during transfers. */
public interface ProgressListener {
    void onProgress(MigrationProgress progress);

    ProgressListener NONE = progress -> {
    };
}
