#include "core/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace gpusim {

OutputLock::OutputLock(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / kOutputLockFile;
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  }
  int rc = 0;
  do {
    rc = ::flock(fd_, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      throw std::invalid_argument(
          dir.string() +
          " is in use by another gpusim command writing into it (sweep, merge, plan or "
          "compare); wait for it to finish (a rerun then resumes) or give another -o directory");
    }
    throw std::runtime_error("cannot lock " + file.string() + ": " + std::strerror(err));
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace gpusim
