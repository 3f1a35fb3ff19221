// Package domain holds the service's business rules. It imports nothing from the outside
// world: no HTTP, no storage.
package domain

import (
	"errors"
	"strings"
)

// MaxNoteLength bounds what a note may hold.
const MaxNoteLength = 280

var (
	// ErrEmptyNote is returned for a note without text.
	ErrEmptyNote = errors.New("a note needs text")
	// ErrNoteTooLong is returned for a note longer than MaxNoteLength.
	ErrNoteTooLong = errors.New("a note holds at most 280 characters")
	// ErrNotFound is returned when no note has the requested id.
	ErrNotFound = errors.New("note not found")
)

// Note is what the service keeps.
type Note struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// NewNote checks the rules a note must follow before it is stored.
func NewNote(id, text string) (Note, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return Note{}, ErrEmptyNote
	case len([]rune(text)) > MaxNoteLength:
		return Note{}, ErrNoteTooLong
	}
	return Note{ID: id, Text: text}, nil
}
