package app

import (
	"context"
	"errors"
	"testing"

	"${{ values.name }}/internal/adapters/memory"
	"${{ values.name }}/internal/domain"
)

func TestCreateThenGetAndList(t *testing.T) {
	ctx := context.Background()
	notes := NewNotes(memory.NewRepository())
	created, err := notes.Create(ctx, "ship it")
	if err != nil {
		t.Fatal(err)
	}
	got, err := notes.Get(ctx, created.ID)
	if err != nil || got != created {
		t.Fatalf("got %+v, %v; want %+v", got, err, created)
	}
	all, _ := notes.List(ctx)
	if len(all) != 1 {
		t.Fatalf("listed %d notes, want 1", len(all))
	}
}

func TestCreateRefusesInvalidNotesAndStoresNothing(t *testing.T) {
	ctx := context.Background()
	notes := NewNotes(memory.NewRepository())
	if _, err := notes.Create(ctx, ""); !errors.Is(err, domain.ErrEmptyNote) {
		t.Fatalf("got %v", err)
	}
	if all, _ := notes.List(ctx); len(all) != 0 {
		t.Fatalf("stored %d invalid notes", len(all))
	}
}
