//go:build !unix

package results

import (
	"errors"
	"os"
)

func tryLock(*os.File) error {
	return errors.New("folder locks are implemented for Unix systems only")
}
