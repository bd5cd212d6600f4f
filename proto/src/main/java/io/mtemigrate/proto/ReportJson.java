package io.mtemigrate.proto;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;

/**
 * Prints and parses the run report ({@code --json FILE}). Every field is printed, even at its
 * default value, so that tools reading the report never have to guess whether a missing key
 * means zero or means an older writer.
 */
public final class ReportJson {

    /** Values of {@code status}; the JSON contract spells them in lower case. */
    public static final String STATUS_COMPLETED = "completed";
    public static final String STATUS_FAILED = "failed";
    public static final String STATUS_CANCELLED = "cancelled";

    // alwaysPrintFieldsWithNoPresence: proto3 scalars have no presence, and the contract says
    // every key is there. preservingProtoFieldNames is off so that json_name is used.
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
    // Newer writers may add fields; an older reader must still read the report.
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private ReportJson() {
    }

    public static String print(MigrationReport report) {
        try {
            return PRINTER.print(report);
        } catch (InvalidProtocolBufferException e) {
            // Only Any fields without a type registry fail to print; the report has none.
            throw new IllegalStateException("cannot print MigrationReport as JSON", e);
        }
    }

    public static MigrationReport parse(String json) throws InvalidProtocolBufferException {
        MigrationReport.Builder builder = MigrationReport.newBuilder();
        PARSER.merge(json, builder);
        return builder.build();
    }

    /** The report's spelling of a 64-bit digest: 16 lower-case hex digits, leading zeros kept. */
    public static String digest(long value) {
        return String.format("%016x", value);
    }
}
