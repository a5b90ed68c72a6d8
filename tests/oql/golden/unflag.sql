-- oql: unflag 'pred-42'

-- flag {'pointer': 'pred-42', 'flagged': False}
