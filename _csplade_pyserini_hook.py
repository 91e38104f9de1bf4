# hook placeholder
