// Package memory is a driven adapter: notes kept in process memory (replace it with a
// database adapter implementing the same port).
package memory

import (
	"context"
	"sort"
	"strconv"
	"sync"

	"${{ values.name }}/internal/domain"
	"${{ values.name }}/internal/ports"
)

// Repository implements ports.NoteRepository.
type Repository struct {
	mu    sync.RWMutex
	notes map[string]domain.Note
	next  int
}

var _ ports.NoteRepository = (*Repository)(nil)

// NewRepository returns an empty repository.
func NewRepository() *Repository {
	return &Repository{notes: map[string]domain.Note{}}
}

// Save stores or replaces a note.
func (r *Repository) Save(_ context.Context, note domain.Note) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes[note.ID] = note
	return nil
}

// Find returns the note with id, or domain.ErrNotFound.
func (r *Repository) Find(_ context.Context, id string) (domain.Note, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	note, ok := r.notes[id]
	if !ok {
		return domain.Note{}, domain.ErrNotFound
	}
	return note, nil
}

// All returns every note, ordered by id.
func (r *Repository) All(_ context.Context) ([]domain.Note, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	all := make([]domain.Note, 0, len(r.notes))
	for _, note := range r.notes {
		all = append(all, note)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, nil
}

// NextID hands out increasing ids.
func (r *Repository) NextID(_ context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	return strconv.Itoa(r.next), nil
}
