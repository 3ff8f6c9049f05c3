// The Merkle Patricia Trie: see MerklePatriciaTrie.swift
