// Package app implements the use cases on top of the domain, through the ports only.
package app

import (
	"context"

	"${{ values.name }}/internal/domain"
	"${{ values.name }}/internal/ports"
)

// Notes implements ports.NoteService.
type Notes struct {
	repository ports.NoteRepository
}

// NewNotes wires the use cases to a repository.
func NewNotes(repository ports.NoteRepository) *Notes {
	return &Notes{repository: repository}
}

var _ ports.NoteService = (*Notes)(nil)

// Create validates and stores a new note.
func (n *Notes) Create(ctx context.Context, text string) (domain.Note, error) {
	id, err := n.repository.NextID(ctx)
	if err != nil {
		return domain.Note{}, err
	}
	note, err := domain.NewNote(id, text)
	if err != nil {
		return domain.Note{}, err
	}
	return note, n.repository.Save(ctx, note)
}

// Get returns one note, or domain.ErrNotFound.
func (n *Notes) Get(ctx context.Context, id string) (domain.Note, error) {
	return n.repository.Find(ctx, id)
}

// List returns every note.
func (n *Notes) List(ctx context.Context) ([]domain.Note, error) {
	return n.repository.All(ctx)
}
