package io.mtemigrate.tagstream.file;

/**
 * What a verified stream file's header and trailer say.
 *
 * @param formatVersion  the file format version
 * @param createdMillis  when recording began, ms since the epoch
 * @param frames         frames in the file
 * @param frameBytes     bytes of all frames
 */
public record StreamFileInfo(int formatVersion, long createdMillis, long frames, long frameBytes) {
}
