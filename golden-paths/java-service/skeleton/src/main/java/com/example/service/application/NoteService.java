package com.example.service.application;

import com.example.service.domain.Note;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Service;

/** Driving port and use cases: what the adapters call, through the repository port only. */
@Service
public class NoteService {
    private final NoteRepository repository;

    public NoteService(NoteRepository repository) {
        this.repository = repository;
    }

    public Note create(String text) {
        return repository.save(Note.create(repository.nextId(), text));
    }

    public Optional<Note> get(String id) {
        return repository.find(id);
    }

    public List<Note> list() {
        return repository.all();
    }
}
