/** The source side of a migration: pre-copy over dirty logging, stop-and-copy, verification. */
package io.mtemigrate.source;
