package com.example.service.domain;

/** What the service keeps. The domain imports nothing from Spring, HTTP or storage. */
public record Note(String id, String text) {
    public static final int MAX_LENGTH = 280;

    /** Checks the rules a note must follow before it is stored. */
    public static Note create(String id, String text) {
        String trimmed = text == null ? "" : text.strip();
        if (trimmed.isEmpty()) {
            throw new InvalidNoteException("a note needs text");
        }
        if (trimmed.codePointCount(0, trimmed.length()) > MAX_LENGTH) {
            throw new InvalidNoteException("a note holds at most " + MAX_LENGTH + " characters");
        }
        return new Note(id, trimmed);
    }
}
