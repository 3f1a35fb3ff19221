package com.example.service.adapter.persistence;

import com.example.service.application.NoteRepository;
import com.example.service.domain.Note;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Repository;

/** Driven adapter: notes in process memory (replace with a database adapter). */
@Repository
public class InMemoryNoteRepository implements NoteRepository {
    private final Map<String, Note> notes = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    @Override
    public Note save(Note note) {
        notes.put(note.id(), note);
        return note;
    }

    @Override
    public Optional<Note> find(String id) {
        return Optional.ofNullable(notes.get(id));
    }

    @Override
    public List<Note> all() {
        return notes.values().stream().sorted(Comparator.comparing(Note::id)).toList();
    }

    @Override
    public String nextId() {
        return Long.toString(sequence.incrementAndGet());
    }
}
