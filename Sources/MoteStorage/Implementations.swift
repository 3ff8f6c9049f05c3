// LMDB and in-memory implementations: see LMDBChainStore.swift, InMemoryChainStore.swift
