package io.mtemigrate.tagstream.file;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.frame.PageBatch;

/**
 * Receives a replayed file's frames in order. The reader releases each batch after the call
 * returns; retain it to keep it longer.
 */
public interface StreamFrameHandler {

    void onControl(ControlMessage message) throws Exception;

    void onPageBatch(PageBatch batch) throws Exception;
}
