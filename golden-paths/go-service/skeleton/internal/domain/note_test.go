package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestNewNoteTrimsText(t *testing.T) {
	note, err := NewNote("1", "  buy milk ")
	if err != nil || note.Text != "buy milk" {
		t.Fatalf("got %+v, %v", note, err)
	}
}

func TestNewNoteRejectsEmptyAndLongText(t *testing.T) {
	if _, err := NewNote("1", "   "); !errors.Is(err, ErrEmptyNote) {
		t.Fatalf("empty: got %v", err)
	}
	if _, err := NewNote("1", strings.Repeat("x", MaxNoteLength+1)); !errors.Is(err, ErrNoteTooLong) {
		t.Fatalf("long: got %v", err)
	}
}
