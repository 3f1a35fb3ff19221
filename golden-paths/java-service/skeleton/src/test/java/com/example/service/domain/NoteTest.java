package com.example.service.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NoteTest {
    @Test
    void trimsText() {
        assertThat(Note.create("1", "  ship it ").text()).isEqualTo("ship it");
    }

    @Test
    void refusesEmptyAndLongText() {
        assertThatThrownBy(() -> Note.create("1", " ")).isInstanceOf(InvalidNoteException.class);
        assertThatThrownBy(() -> Note.create("1", "x".repeat(Note.MAX_LENGTH + 1)))
                .isInstanceOf(InvalidNoteException.class);
    }
}
