package com.example.service.application;

import com.example.service.domain.Note;
import java.util.List;
import java.util.Optional;

/** Driven port: where notes are kept. Adapters implement it. */
public interface NoteRepository {
    Note save(Note note);

    Optional<Note> find(String id);

    List<Note> all();

    String nextId();
}
