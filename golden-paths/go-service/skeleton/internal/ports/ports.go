// Package ports declares how the core talks to the world: what drives it (NoteService) and
// what it drives (NoteRepository). Adapters implement or call these interfaces.
package ports

import (
	"context"

	"${{ values.name }}/internal/domain"
)

// NoteService is the driving port: the use cases the service offers.
type NoteService interface {
	Create(ctx context.Context, text string) (domain.Note, error)
	Get(ctx context.Context, id string) (domain.Note, error)
	List(ctx context.Context) ([]domain.Note, error)
}

// NoteRepository is the driven port: where notes are kept.
type NoteRepository interface {
	Save(ctx context.Context, note domain.Note) error
	Find(ctx context.Context, id string) (domain.Note, error)
	All(ctx context.Context) ([]domain.Note, error)
	NextID(ctx context.Context) (string, error)
}
