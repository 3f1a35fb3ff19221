package com.example.service.adapter.web;

import com.example.service.application.NoteService;
import com.example.service.domain.InvalidNoteException;
import com.example.service.domain.Note;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Driving adapter: JSON over HTTP onto the use cases. */
@RestController
@RequestMapping("/notes")
public class NoteController {
    private final NoteService notes;

    public NoteController(NoteService notes) {
        this.notes = notes;
    }

    public record NewNote(String text) {}

    @PostMapping
    public ResponseEntity<Note> create(@RequestBody NewNote body) {
        return ResponseEntity.status(HttpStatus.CREATED).body(notes.create(body.text()));
    }

    @GetMapping("/{id}")
    public ResponseEntity<Note> get(@PathVariable String id) {
        return ResponseEntity.of(notes.get(id));
    }

    @GetMapping
    public List<Note> list() {
        return notes.list();
    }

    @ExceptionHandler(InvalidNoteException.class)
    public ResponseEntity<String> invalid(InvalidNoteException error) {
        return ResponseEntity.unprocessableEntity().body(error.getMessage());
    }
}
