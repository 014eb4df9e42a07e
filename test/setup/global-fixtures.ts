// Mocha root hooks and global fixtures; services are started lazily by test/helpers.
export {};
