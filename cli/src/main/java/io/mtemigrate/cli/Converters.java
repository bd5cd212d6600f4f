package io.mtemigrate.cli;

import io.mtemigrate.host.PostcopyPlans;
import io.mtemigrate.source.Postcopy;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.Locale;

/** picocli converters: a bad value becomes a usage error naming the option and what is allowed. */
final class Converters {
    private Converters() {
    }

    private static TypeConversionException bad(IllegalArgumentException e) {
        return new TypeConversionException(e.getMessage());
    }

    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Units.size(value);
            } catch (IllegalArgumentException e) {
                throw bad(e);
            }
        }
    }

    static final class Rate implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Units.rate(value);
            } catch (IllegalArgumentException e) {
                throw bad(e);
            }
        }
    }

    static final class Time implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Units.duration(value);
            } catch (IllegalArgumentException e) {
                throw bad(e);
            }
        }
    }

    /** The moment of {@code --postcopy=WHEN}, in the control API's syntax. */
    static final class PostcopyWhen implements ITypeConverter<Postcopy> {
        @Override
        public Postcopy convert(String value) {
            try {
                return PostcopyPlans.parse(value);
            } catch (IllegalArgumentException e) {
                throw bad(e);
            }
        }
    }

    static final class Pages implements ITypeConverter<PageSize> {
        @Override
        public PageSize convert(String value) {
            return switch (value.trim().toUpperCase(Locale.ROOT)) {
                case "4K", "4096" -> PageSize.SIZE_4K;
                case "16K", "16384" -> PageSize.SIZE_16K;
                case "64K", "65536" -> PageSize.SIZE_64K;
                default -> throw new TypeConversionException("'" + value + "' is not a page size (4K, 16K or 64K)");
            };
        }
    }

    static final class Programs implements ITypeConverter<Workload> {
        @Override
        public Workload convert(String value) {
            try {
                return Workload.byName(value);
            } catch (IllegalArgumentException e) {
                throw bad(e);
            }
        }
    }

    static final class Fills implements ITypeConverter<Fill> {
        @Override
        public Fill convert(String value) {
            for (Fill fill : Fill.values()) {
                if (fill.cliName().equalsIgnoreCase(value.trim())) {
                    return fill;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a fill (zero, random, pattern, alloc)");
        }
    }

    static final class Address implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            try {
                return HostPort.parse(value);
            } catch (IllegalArgumentException e) {
                throw bad(e);
            }
        }
    }

    /** Like {@link Address}, and port 0 asks for any free port. */
    static final class ListenAddress implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            try {
                return HostPort.parseListen(value);
            } catch (IllegalArgumentException e) {
                throw bad(e);
            }
        }
    }
}
