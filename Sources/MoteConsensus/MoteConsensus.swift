// MoteConsensus: see BFTStateMachine.swift
