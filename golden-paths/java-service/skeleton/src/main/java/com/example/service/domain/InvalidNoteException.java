package com.example.service.domain;

/** A note that breaks the domain's rules. */
public class InvalidNoteException extends RuntimeException {
    public InvalidNoteException(String message) {
        super(message);
    }
}
